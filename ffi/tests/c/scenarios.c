/* The shared scenario corpus (the JSON files in tests/scenarios, format in its README.md) run
 * through the C ABI, with the semantics of the Rust runner core/tests/scenarios.rs: a fresh
 * in-memory engine per file on a manual clock (dg_engine_open_with_clock), the same ops,
 * references, scenario executor and expectations. Runner-level keys are checked strictly; the
 * members of the core's own types are checked strictly by the Rust runner over the same files.
 * Usage: scenarios DIR */
#include <dirent.h>

#include "scenario.h"

#define MIN_SCENARIOS 14
#define DEFAULT_CLOCK "2026-01-15T09:00:00Z"
#define SETUP_ACTOR "{\"id\":\"setup\",\"roles\":[\"admin\"]}"

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Parses an RFC 3339 time (`2026-01-15T09:00:00Z`, fractions and offsets allowed). */
static int parse_time(const char *s, int64_t *micros) {
  int y, mo, d, h, mi, sec, n = 0;
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19) return -1;
  const char *p = s + n;
  int64_t frac = 0, scale = 1000000;
  if (*p == '.') {
    for (p++; *p >= '0' && *p <= '9'; p++) {
      if (scale > 1) frac += (*p - '0') * (scale /= 10);
    }
  }
  int64_t offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om, m = 0;
    if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5) return -1;
    offset = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    p += 6;
  } else {
    return -1;
  }
  if (*p != '\0') return -1;
  int64_t seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  *micros = seconds * 1000000 + frac;
  return 0;
}

static int64_t manual_now(void *user_data) { return ((Run *)user_data)->now; }

/* Replaces "$name" by the saved id and "$$x" by "$x" in every string value, recursively. */
static json_t *subst(Run *run, json_t *v) {
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    if (s[0] != '$') return json_incref(v);
    if (s[1] == '$') return json_string(s + 1);
    json_t *id = json_object_get(run->saved, s + 1);
    if (id == NULL) return fail(run, "`%s` was not saved by an earlier step", s), NULL;
    return json_incref(id);
  }
  json_t *out = NULL;
  if (json_is_array(v)) {
    out = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
      json_t *y = subst(run, x);
      if (y == NULL) return json_decref(out), NULL;
      json_array_append_new(out, y);
    }
    return out;
  }
  if (json_is_object(v)) {
    out = json_object();
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
      json_t *y = subst(run, x);
      if (y == NULL) return json_decref(out), NULL;
      json_object_set_new(out, k, y);
    }
    return out;
  }
  return json_incref(v);
}

/* ---- one call ---- */

/* The hot path (typed), completed with the full entry from the active state, so the result is the
 * same `ActiveEntry` JSON (or null) the Rust runner compares. */
static void active_version(Run *run, const char *p, const char *env, const char *type, const char *id, Outcome *o) {
  char *tag = NULL, *dep = NULL, *state = NULL;
  bool found = false;
  o->status = dg_active_version(run->engine, p, env, type, id, &tag, &dep, &found);
  if (o->status != DG_OK) {
    o->message = dg_last_error_message();
    return;
  }
  if (!found) {
    o->result = json_null();
    return;
  }
  CHECK_OK(dg_active_state(run->engine, p, env, &state));
  json_t *all = take_json(state), *x;
  size_t i;
  json_array_foreach(all, i, x) {
    if (strcmp(jstr(x, "entity_type"), type) == 0 && strcmp(jstr(x, "entity_id"), id) == 0) o->result = json_incref(x);
  }
  CHECK(o->result != NULL && strcmp(jstr(o->result, "version_tag"), tag) == 0 && strcmp(jstr(o->result, "deployment_id"), dep) == 0);
  json_decref(all);
  dg_string_free(tag);
  dg_string_free(dep);
}

/* The tag alone: a JSON string, or null when nothing is live. */
static void active_version_tag(Run *run, const char *p, const char *env, const char *type, const char *id, Outcome *o) {
  char *tag = (char *)"untouched";
  o->status = dg_active_version_tag(run->engine, p, env, type, id, &tag);
  if (o->status != DG_OK) {
    o->message = dg_last_error_message();
    return;
  }
  o->result = tag == NULL ? json_null() : json_string(tag);
  dg_string_free(tag);
}

/* Calls the library for `op`; -1 is a malformed step, otherwise `o` holds the outcome. */
static int call(Run *run, const char *op, const char *actor, Args *a, Outcome *o) {
  static const char *const no_actor[] = {"get_deployment", "list_deployments", "active_state", "active_version", "active_version_tag", "entity_history",
                                         "compare_environments", "audit_log", "verify_audit", "events_after", "sweep", "due",
                                         "active_state_at", "deployments_live_at", "advance_clock", NULL};
  bool takes_actor = true;
  for (const char *const *n = no_actor; *n != NULL; n++) takes_actor = takes_actor && !is(op, *n);
  for (const char *const *n = NO_ACTOR_OPERATIONS; *n != NULL; n++) takes_actor = takes_actor && !is(op, *n);
  if (!takes_actor && actor != NULL) return fail(run, "`%s` takes no `actor`", op);
  if (takes_actor && actor == NULL) return fail(run, "`%s` needs an `actor`", op);
  DgEngine *e = run->engine;
  const char *p = project_of(a), *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL, *j1 = NULL;
  char *out = NULL;
  json_int_t n1 = 0, n2 = 0;
  bool g1 = false, g2 = false;
  if (is(op, "create_project")) {
    ALLOW("id", "tenant", "name");
    NEED(str_arg(a, "id", true, &s1) || str_arg(a, "tenant", true, &s2) || str_arg(a, "name", true, &s3));
    settle(o, dg_project_create(e, s1, s2, s3, actor, &out), &out);
  } else if (is(op, "create_environment")) {
    ALLOW("project", "spec");
    NEED(json_arg(a, "spec", true, &j1));
    settle(o, dg_environment_create(e, p, j1, actor, &out), &out);
  } else if (is(op, "set_policy") || is(op, "set_variables") || is(op, "set_health")) {
    const char *what = is(op, "set_policy") ? "policy" : is(op, "set_variables") ? "variables" : "health";
    ALLOW("project", "environment", what);
    NEED(str_arg(a, "environment", true, &s1));
    if (is(op, "set_health")) {
      NEED(str_arg(a, "health", true, &s2));
      settle(o, dg_health_set(e, p, s1, s2, actor, &out), &out);
    } else {
      NEED(json_arg(a, what, true, &j1));
      settle(o, (is(op, "set_policy") ? dg_policy_set : dg_variables_set)(e, p, s1, j1, actor, &out), &out);
    }
  } else if (is(op, "register_version")) {
    ALLOW("project", "spec");
    NEED(json_arg(a, "spec", true, &j1));
    settle(o, dg_version_register(e, p, j1, actor, &out), &out);
  } else if (is(op, "request_deployment")) {
    ALLOW("project", "request");
    NEED(json_arg(a, "request", true, &j1));
    settle(o, dg_deployment_request(e, p, j1, actor, &out), &out);
  } else if (is(op, "approve")) {
    ALLOW("project", "deployment_id", "options");
    NEED(str_arg(a, "deployment_id", true, &s1) || json_arg(a, "options", false, &j1));
    settle(o, dg_deployment_approve(e, p, s1, actor, j1, &out), &out);
  } else if (is(op, "reject") || is(op, "cancel")) {
    ALLOW("project", "deployment_id", "reason");
    NEED(str_arg(a, "deployment_id", true, &s1) || str_arg(a, "reason", is(op, "reject"), &s2));
    settle(o, (is(op, "reject") ? dg_deployment_reject : dg_deployment_cancel)(e, p, s1, actor, s2, &out), &out);
  } else if (is(op, "execute") || is(op, "rollback")) {
    ALLOW("project", "deployment_id", "options", "fail_on");
    json_t *fail_on = NULL;
    NEED(str_arg(a, "deployment_id", true, &s1) || json_arg(a, "options", false, &j1));
    if (fail_on_arg(a, &fail_on) != 0) return json_decref(fail_on), -1;
    if (is(op, "execute")) {
      settle(o, dg_deployment_execute(e, p, s1, actor, j1, scenario_executor, fail_on, &out), &out);
    } else {
      settle(o, dg_deployment_rollback(e, p, s1, actor, j1 != NULL ? j1 : "{}", scenario_executor, fail_on, &out), &out);
    }
    json_decref(fail_on);
  } else if (is(op, "check")) {
    ALLOW("project", "deployment_id", "action");
    NEED(str_arg(a, "deployment_id", true, &s1) || str_arg(a, "action", true, &s2));
    settle(o, dg_deployment_check(e, p, s1, actor, s2, &out), &out);
  } else if (is(op, "promote")) {
    ALLOW("project", "deployment_id", "to_environment");
    NEED(str_arg(a, "deployment_id", true, &s1) || str_arg(a, "to_environment", true, &s2));
    settle(o, dg_deployment_promote(e, p, s1, s2, actor, &out), &out);
  } else if (is(op, "release_lease")) {
    ALLOW("project", "deployment_id", "reason");
    NEED(str_arg(a, "deployment_id", true, &s1) || str_arg(a, "reason", true, &s2));
    settle(o, dg_lease_release(e, p, s1, actor, s2, &out), &out);
  } else if (is(op, "quarantine_version") || is(op, "release_version")) {
    ALLOW("project", "entity_type", "entity_id", "version_tag", "reason");
    NEED(str_arg(a, "entity_type", true, &s1) || str_arg(a, "entity_id", true, &s2) || str_arg(a, "version_tag", true, &s3) ||
         str_arg(a, "reason", true, &s4));
    settle(o, (is(op, "quarantine_version") ? dg_version_quarantine : dg_version_release)(e, p, s1, s2, s3, actor, s4, &out), &out);
  } else if (is(op, "due")) {
    ALLOW("project");
    settle(o, dg_deployments_due(e, p, &out), &out);
  } else if (is(op, "sweep")) {
    if (json_object_size(a->map) != 0) return fail(run, "`sweep` takes no args");
    settle(o, dg_sweep(e, &out), &out);
  } else if (is(op, "active_state_at") || is(op, "deployments_live_at")) {
    ALLOW("project", "environment", "at");
    NEED(str_arg(a, "environment", true, &s1) || str_arg(a, "at", true, &s2));
    settle(o, (is(op, "active_state_at") ? dg_active_state_at : dg_deployments_live_at)(e, p, s1, s2, &out), &out);
  } else if (is(op, "get_deployment")) {
    ALLOW("project", "deployment_id");
    NEED(str_arg(a, "deployment_id", true, &s1));
    settle(o, dg_deployment_get(e, p, s1, &out), &out);
  } else if (is(op, "list_deployments")) {
    ALLOW("project", "filter");
    NEED(json_arg(a, "filter", false, &j1));
    settle(o, dg_deployment_list(e, p, j1, &out), &out);
  } else if (is(op, "active_state")) {
    ALLOW("project", "environment");
    NEED(str_arg(a, "environment", true, &s1));
    settle(o, dg_active_state(e, p, s1, &out), &out);
  } else if (is(op, "active_version")) {
    ALLOW("project", "environment", "entity_type", "entity_id");
    NEED(str_arg(a, "environment", true, &s1) || str_arg(a, "entity_type", true, &s2) || str_arg(a, "entity_id", true, &s3));
    active_version(run, p, s1, s2, s3, o);
  } else if (is(op, "active_version_tag")) {
    ALLOW("project", "environment", "entity_type", "entity_id");
    NEED(str_arg(a, "environment", true, &s1) || str_arg(a, "entity_type", true, &s2) || str_arg(a, "entity_id", true, &s3));
    active_version_tag(run, p, s1, s2, s3, o);
  } else if (is(op, "entity_history")) {
    ALLOW("project", "entity_type", "entity_id", "limit");
    NEED(str_arg(a, "entity_type", true, &s1) || str_arg(a, "entity_id", true, &s2) || int_arg(a, "limit", false, 0, UINT32_MAX, &n1, &g1));
    uint32_t limit = (uint32_t)n1;
    settle(o, dg_entity_history(e, p, s1, s2, g1 ? &limit : NULL, &out), &out);
  } else if (is(op, "compare_environments")) {
    ALLOW("project", "left", "right");
    NEED(str_arg(a, "left", true, &s1) || str_arg(a, "right", true, &s2));
    settle(o, dg_environments_compare(e, p, s1, s2, &out), &out);
  } else if (is(op, "pending_approvals")) {
    ALLOW("project");
    settle(o, dg_pending_approvals(e, p, actor, &out), &out);
  } else if (is(op, "audit_log")) {
    ALLOW("project", "object_id", "after_seq", "limit");
    NEED(str_arg(a, "object_id", false, &s1) || int_arg(a, "after_seq", false, INT64_MIN, INT64_MAX, &n1, &g1) ||
         int_arg(a, "limit", false, 0, UINT32_MAX, &n2, &g2));
    uint32_t limit = (uint32_t)n2;
    settle(o, dg_audit_log(e, p, s1, g1 ? (int64_t)n1 : 0, g2 ? &limit : NULL, &out), &out);
  } else if (is(op, "verify_audit")) {
    if (json_object_size(a->map) != 0) return fail(run, "`verify_audit` takes no args");
    settle(o, dg_audit_verify(e, &out), &out);
  } else if (is(op, "events_after")) {
    ALLOW("project", "after_seq", "limit");
    NEED(int_arg(a, "after_seq", false, INT64_MIN, INT64_MAX, &n1, &g1) || int_arg(a, "limit", false, 0, UINT32_MAX, &n2, &g2));
    uint32_t limit = (uint32_t)n2;
    settle(o, dg_events_after(e, p, g1 ? (int64_t)n1 : 0, g2 ? &limit : NULL, &out), &out);
  } else if (is(op, "advance_clock")) {
    ALLOW("seconds");
    NEED(int_arg(a, "seconds", true, INT32_MIN, INT32_MAX, &n1, &g1));
    run->now += (int64_t)n1 * 1000000;
    o->status = DG_OK;
    o->result = json_null();
  } else {
    int rc = call_operations(run, op, actor, a, o);
    if (rc == 1) return fail(run, "unknown op `%s`", op);
    return rc;
  }
  return 0;
}

/* ---- scenario files ---- */

static int step(Run *run, json_t *s) {
  if (!json_is_object(s)) return fail(run, "step must be an object");
  NEED(only_keys(run, s, KEYS("op", "note", "actor", "args", "expect", "save_as"), "step"));
  const char *op = jstr(s, "op");
  if (op == NULL) return fail(run, "`op` must be a string");
  json_t *actor_v = json_object_get(s, "actor");
  char *actor = NULL;
  if (actor_v != NULL) {
    if (!json_is_object(actor_v)) return fail(run, "`actor` must be an object");
    NEED(only_keys(run, actor_v, KEYS("id", "roles"), "actor"));
    actor = json_dumps(actor_v, JSON_COMPACT);
  }
  json_t *raw_args = json_object_get(s, "args"), *empty = json_object();
  json_t *args = subst(run, raw_args != NULL && !json_is_null(raw_args) ? raw_args : empty);
  json_t *expect = subst(run, json_object_get(s, "expect") != NULL ? json_object_get(s, "expect") : empty);
  json_decref(empty);
  Args a = {run, args, op, {NULL}, 0};
  Outcome o = {DG_OK, NULL, NULL, NULL};
  int rc = -1;
  if (args == NULL || expect == NULL) goto done;
  if (!json_is_object(args)) {
    fail(run, "`args` must be an object");
    goto done;
  }
  if (!json_is_object(expect)) {
    fail(run, "expect must be an object");
    goto done;
  }
  if (only_keys(run, expect, KEYS("error", "status", "items", "active", "findings", "allowed", "count", "fields"), "expect") != 0) goto done;
  if (call(run, op, actor, &a, &o) != 0 || check_outcome(run, expect, &o) != 0) goto done;
  json_t *active = json_object_get(expect, "active");
  if (active != NULL && check_active(run, project_of(&a), active) != 0) goto done;
  json_t *save = json_object_get(s, "save_as");
  if (save != NULL) {
    const char *name = json_string_value(save);
    if (name == NULL || name[0] == '\0' || name[0] == '$') {
      fail(run, "`save_as` must be a name without `$`");
      goto done;
    }
    if (o.status != DG_OK) {
      fail(run, "`save_as` on a step that failed");
      goto done;
    }
    json_t *id = json_object_get(o.result, "id");
    if (!json_is_string(id)) {
      fail(run, "`save_as`: the result has no string `id`");
      goto done;
    }
    if (json_object_get(run->saved, name) != NULL) {
      fail(run, "`save_as`: `%s` is already saved", name);
      goto done;
    }
    json_object_set(run->saved, name, id);
  }
  rc = 0;
done:
  for (int i = 0; i < a.ndumps; i++) free(a.dumps[i]);
  json_decref(args);
  json_decref(expect);
  json_decref(o.result);
  dg_string_free(o.message);
  dg_string_free(o.findings);
  free(actor);
  return rc;
}

/* Creates one setup entry (an object with an optional `project`) through `create`. */
typedef int32_t (*SetupFn)(const DgEngine *, const char *, const char *, const char *, char **);
static int setup_entries(Run *run, json_t *setup, const char *key, SetupFn create) {
  json_t *list = json_object_get(setup, key), *entry;
  if (list == NULL) return 0;
  if (!json_is_array(list)) return fail(run, "setup: `%s` must be an array", key);
  size_t i;
  json_array_foreach(list, i, entry) {
    if (!json_is_object(entry)) return fail(run, "setup: %s.%zu must be an object", key, i);
    json_t *spec = json_deep_copy(entry);
    json_t *p = json_object_get(spec, "project");
    char project[512];
    snprintf(project, sizeof project, "%s", json_is_string(p) ? json_string_value(p) : run->project);
    json_object_del(spec, "project");
    char *text = json_dumps(spec, JSON_COMPACT), *out = NULL;
    json_decref(spec);
    int32_t st = create(run->engine, project, text, SETUP_ACTOR, &out);
    free(text);
    dg_string_free(out);
    if (st != DG_OK) {
      char *m = dg_last_error_message();
      fail(run, "setup: %s.%zu: %s", key, i, m);
      dg_string_free(m);
      return -1;
    }
  }
  return 0;
}

static int setup(Run *run, json_t *s) {
  if (!json_is_object(s)) return fail(run, "setup must be an object");
  NEED(only_keys(run, s, KEYS("projects", "environments", "versions"), "setup"));
  json_t *projects = json_object_get(s, "projects"), *p;
  if (projects != NULL && !json_is_array(projects)) return fail(run, "setup: `projects` must be an array");
  size_t i;
  json_array_foreach(projects, i, p) {
    NEED(only_keys(run, p, KEYS("id", "tenant", "name"), "project"));
    const char *id = jstr(p, "id"), *tenant = jstr(p, "tenant"), *name = jstr(p, "name");
    if (id == NULL || tenant == NULL || name == NULL) return fail(run, "setup: projects.%zu needs string id, tenant, name", i);
    char *out = NULL;
    if (dg_project_create(run->engine, id, tenant, name, SETUP_ACTOR, &out) != DG_OK) {
      char *m = dg_last_error_message();
      fail(run, "setup: projects.%zu: %s", i, m);
      dg_string_free(m);
      return -1;
    }
    dg_string_free(out);
    if (i == 0) snprintf(run->project, sizeof run->project, "%s", id);
  }
  if (run->project[0] == '\0') return fail(run, "setup: `projects` must name at least one project");
  NEED(setup_entries(run, s, "environments", dg_environment_create));
  return setup_entries(run, s, "versions", dg_version_register);
}

static int run_file(Run *run, const char *path) {
  json_error_t err;
  json_t *doc = json_load_file(path, 0, &err);
  if (doc == NULL) return fail(run, "invalid json: %s (line %d)", err.text, err.line);
  int rc = -1;
  json_t *steps = json_object_get(doc, "steps");
  const char *clock = json_object_get(doc, "clock") ? jstr(doc, "clock") : DEFAULT_CLOCK;
  if (only_keys(run, doc, KEYS("name", "description", "clock", "setup", "steps"), "scenario") != 0) goto done;
  if (jstr(doc, "name") == NULL || jstr(doc, "description") == NULL) {
    fail(run, "`name` and `description` must be strings");
    goto done;
  }
  if (clock == NULL || parse_time(clock, &run->now) != 0) {
    fail(run, "bad `clock`");
    goto done;
  }
  CHECK_OK(dg_engine_open_with_clock(":memory:", manual_now, run, NULL, &run->engine));
  if (json_object_get(doc, "setup") == NULL) {
    fail(run, "missing `setup`");
    goto done;
  }
  if (setup(run, json_object_get(doc, "setup")) != 0) goto done;
  if (!json_is_array(steps) || json_array_size(steps) == 0) {
    fail(run, "`steps` must be a non-empty array");
    goto done;
  }
  size_t i;
  json_t *s;
  json_array_foreach(steps, i, s) {
    if (step(run, s) != 0) {
      char inner[sizeof run->error];
      memcpy(inner, run->error, sizeof inner);
      snprintf(run->error, sizeof run->error, "step %zu (%.64s): %.3900s", i, jstr(s, "op") ? jstr(s, "op") : "?", inner);
      goto done;
    }
  }
  rc = 0;
done:
  dg_engine_free(run->engine);
  run->engine = NULL;
  json_decref(doc);
  return rc;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "tests/scenarios";
  struct dirent **names = NULL;
  int n = scandir(dir, &names, NULL, alphasort);
  if (n < 0) {
    fprintf(stderr, "cannot list %s\n", dir);
    return 1;
  }
  int files = 0, failures = 0;
  for (int i = 0; i < n; i++) {
    const char *name = names[i]->d_name;
    size_t len = strlen(name);
    if (len > 5 && strcmp(name + len - 5, ".json") == 0) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", dir, name);
      Run run = {NULL, 0, "", json_object(), ""};
      files++;
      if (run_file(&run, path) != 0) {
        failures++;
        fprintf(stderr, "%s: %s\n", name, run.error);
      }
      json_decref(run.saved);
    }
    free(names[i]);
  }
  free(names);
  printf("scenarios (C ABI): %d of %d passed\n", files - failures, files);
  if (files < MIN_SCENARIOS) {
    fprintf(stderr, "%s holds %d scenario files, expected at least %d\n", dir, files, MIN_SCENARIOS);
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
