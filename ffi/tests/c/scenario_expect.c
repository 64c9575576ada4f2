/* The expectations of a scenario step, as in core/tests/scenarios.rs (`check_outcome` and
 * `check_active`). */
#include "scenario.h"

/* A dotted path into a JSON value; numeric segments index arrays; "" is the value itself. */
static json_t *lookup(json_t *v, const char *path) {
  if (path[0] == '\0') return v;
  char buf[512];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *seg = buf, *next; v != NULL && seg != NULL; seg = next) {
    next = strchr(seg, '.');
    if (next != NULL) *next++ = '\0';
    if (json_is_array(v)) {
      char *end;
      unsigned long i = strtoul(seg, &end, 10);
      v = (*seg != '\0' && *end == '\0') ? json_array_get(v, i) : NULL;
    } else {
      v = json_is_object(v) ? json_object_get(v, seg) : NULL;
    }
  }
  return v;
}

static int same(Run *run, const char *what, json_t *got, json_t *want) {
  if (got != NULL && json_equal(got, want)) return 0;
  char *w = brief(want), *g = got != NULL ? brief(got) : NULL;
  if (g == NULL) {
    fail(run, "`%s` is missing from the result, expected %s", what, w);
  } else {
    fail(run, "`%s` is %s, expected %s", what, g, w);
  }
  free(w);
  free(g);
  return -1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The error codes of `list` (an array of findings, or of strings), sorted, as one string. */
static int codes(Run *run, json_t *list, bool findings, char *buf, size_t len) {
  if (!json_is_array(list)) return fail(run, findings ? "the result has no `findings.errors`" : "`findings` must be an array of strings");
  size_t n = json_array_size(list);
  const char **v = calloc(n + 1, sizeof *v);
  CHECK(v != NULL);
  for (size_t i = 0; i < n; i++) {
    json_t *x = json_array_get(list, i);
    v[i] = findings ? jstr(x, "code") : json_string_value(x);
    if (v[i] == NULL) v[i] = "?";
  }
  qsort(v, n, sizeof *v, cmp_str);
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++) snprintf(buf + strlen(buf), len - strlen(buf), "%s\"%s\"", i ? ", " : "", v[i]);
  free(v);
  return 0;
}

int check_outcome(Run *run, json_t *expect, Outcome *o) {
  json_t *want_error = json_object_get(expect, "error");
  if (want_error != NULL && !json_is_string(want_error)) return fail(run, "`error` must be a string");
  const char *code = json_string_value(want_error), *got_name = dg_error_name(o->status);
  if (o->status != DG_OK && code == NULL) return fail(run, "unexpected error `%s`: %s", got_name, o->message);
  if (o->status != DG_OK && strcmp(code, got_name) != 0) return fail(run, "expected error `%s`, got `%s`: %s", code, got_name, o->message);
  if (o->status == DG_OK && code != NULL) {
    char *b = brief(o->result);
    fail(run, "expected error `%s`, but the step succeeded with %s", code, b);
    free(b);
    return -1;
  }
  json_t *want = json_object_get(expect, "findings");
  if (want != NULL) {
    char w[2048], g[2048];
    NEED(codes(run, want, false, w, sizeof w));
    if (o->status != DG_OK) {
      if (o->findings == NULL) return fail(run, "`findings` needs a `validation_failed` error");
      json_error_t err;
      json_t *report = json_loads(o->findings, 0, &err);
      int rc = codes(run, json_object_get(report, "errors"), true, g, sizeof g);
      json_decref(report);
      NEED(rc);
    } else {
      NEED(codes(run, lookup(o->result, "findings.errors"), true, g, sizeof g));
    }
    if (strcmp(w, g) != 0) return fail(run, "findings are [%s], expected [%s]", g, w);
  }
  if (o->status != DG_OK) {
    const char *k;
    json_t *x;
    json_object_foreach(expect, k, x) {
      if (strcmp(k, "error") != 0 && strcmp(k, "findings") != 0 && strcmp(k, "active") != 0) {
        return fail(run, "`%s` cannot be checked together with `error`", k);
      }
    }
    return 0;
  }
  json_t *v = o->result;
  if ((want = json_object_get(expect, "status")) != NULL) NEED(same(run, "status", json_object_get(v, "status"), want));
  if ((want = json_object_get(expect, "allowed")) != NULL) NEED(same(run, "allowed", json_object_get(v, "allowed"), want));
  if ((want = json_object_get(expect, "count")) != NULL) {
    json_t *list = json_is_array(v) ? v : json_object_get(v, "items");
    if (!json_is_array(list)) return fail(run, "`count` needs a list result");
    json_t *n = json_integer((json_int_t)json_array_size(list));
    int rc = same(run, "count", n, want);
    json_decref(n);
    NEED(rc);
  }
  if ((want = json_object_get(expect, "items")) != NULL) {
    json_t *got = json_object_get(v, "items");
    if (!json_is_array(want)) return fail(run, "`items` must be an array");
    if (!json_is_array(got)) return fail(run, "the result has no `items`");
    if (json_array_size(got) != json_array_size(want)) {
      return fail(run, "the result has %zu items, expected %zu", json_array_size(got), json_array_size(want));
    }
    size_t i;
    json_t *w;
    json_array_foreach(want, i, w) {
      if (!json_is_object(w)) return fail(run, "expected item must be an object");
      const char *k;
      json_t *wv;
      json_object_foreach(w, k, wv) {
        char what[256];
        snprintf(what, sizeof what, "items.%zu.%s", i, k);
        NEED(same(run, what, json_object_get(json_array_get(got, i), k), wv));
      }
    }
  }
  if ((want = json_object_get(expect, "fields")) != NULL) {
    if (!json_is_object(want)) return fail(run, "expect.fields must be an object");
    const char *path;
    json_t *wv;
    json_object_foreach(want, path, wv) NEED(same(run, path, lookup(v, path), wv));
  }
  return 0;
}

/* The full active state of each named environment equals the expected map. */
int check_active(Run *run, const char *project, json_t *want) {
  if (!json_is_object(want)) return fail(run, "expect.active must be an object");
  const char *env;
  json_t *entries;
  json_object_foreach(want, env, entries) {
    char *out = NULL;
    if (dg_active_state(run->engine, project, env, &out) != DG_OK) {
      char *m = dg_last_error_message();
      fail(run, "active state of `%s`: %s", env, m);
      dg_string_free(m);
      return -1;
    }
    json_t *live = take_json(out), *got = json_object(), *x;
    size_t i;
    json_array_foreach(live, i, x) {
      char key[600];
      snprintf(key, sizeof key, "%s/%s", jstr(x, "entity_type"), jstr(x, "entity_id"));
      json_object_set(got, key, json_object_get(x, "version_tag"));
    }
    json_decref(live);
    int rc = 0;
    if (!json_equal(got, entries)) {
      char *g = brief(got), *w = brief(entries);
      rc = fail(run, "active state of `%s` is %s, expected %s", env, g, w);
      free(g);
      free(w);
    }
    json_decref(got);
    NEED(rc);
  }
  return 0;
}
