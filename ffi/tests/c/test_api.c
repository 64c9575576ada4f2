/* Every command and query of the C ABI on the JAPM workflow, the handle's open/close/free, the
 * host clock, the status names, promotion, the sweep and point-in-time queries.
 * Usage: test_api TMPDIR */
#include <stdbool.h>

#include "fixture.h"

#define CHATBOT_110 "{\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.1.0\"}"
#define CHATBOT_120 "{\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.2.0\",\"change_message\":\"better answers\"}"
#define TEMPLATES_200 "{\"entity_type\":\"prompt_asset_version\",\"entity_id\":\"templates\",\"version_tag\":\"2.0.0\"}"
#define TEMPLATES_210 "{\"entity_type\":\"prompt_asset_version\",\"entity_id\":\"templates\",\"version_tag\":\"2.1.0\"}"

static void test_names(void) {
  CHECK_STREQ(dg_library_version(), "0.1.0");
  CHECK_STREQ(dg_error_name(DG_OK), "ok");
  CHECK_STREQ(dg_error_name(DG_ERROR_NOT_FOUND), "not_found");
  CHECK_STREQ(dg_error_name(DG_ERROR_INVALID_TRANSITION), "invalid_transition");
  CHECK_STREQ(dg_error_name(DG_ERROR_FORBIDDEN), "forbidden");
  CHECK_STREQ(dg_error_name(DG_ERROR_SELF_APPROVAL), "self_approval");
  CHECK_STREQ(dg_error_name(DG_ERROR_POLICY_VIOLATION), "policy_violation");
  CHECK_STREQ(dg_error_name(DG_ERROR_VALIDATION_FAILED), "validation_failed");
  CHECK_STREQ(dg_error_name(DG_ERROR_CONFLICT), "conflict");
  CHECK_STREQ(dg_error_name(DG_ERROR_INVALID_INPUT), "invalid_input");
  CHECK_STREQ(dg_error_name(DG_ERROR_STORAGE), "storage");
  CHECK_STREQ(dg_error_name(DG_ERROR_AUDIT_CORRUPT), "audit_corrupt");
  CHECK_STREQ(dg_error_name(DG_ERROR_PANIC), "panic");
  CHECK(DG_ERROR_NOT_FOUND == 1 && DG_ERROR_AUDIT_CORRUPT == 10 && DG_ERROR_PANIC == 100);
  CHECK(dg_error_name(11) == NULL && dg_error_name(-1) == NULL);
}

static void test_open_close_free(const char *tmpdir) {
  char path[1024];
  snprintf(path, sizeof path, "%s/api.db", tmpdir);
  remove_db(path);
  DgEngine *e = NULL;
  CHECK_OK(dg_engine_open(path, &e));
  CHECK(e != NULL);
  CHECK_OK_DISCARD(dg_project_create(e, "persisted", "acme", "Persisted", ALICE, &out));
  dg_engine_free(e);

  /* The file keeps the project across handles. */
  CHECK_OK(dg_engine_open(path, &e));
  char *out = NULL;
  CHECK_OK(dg_project_get(e, "persisted", &out));
  json_t *p = take_json(out);
  CHECK_STREQ(jstr(p, "tenant"), "acme");
  json_decref(p);

  /* Close: later calls fail cleanly, closing twice is fine, the handle is still freed. */
  CHECK_OK(dg_engine_close(e));
  out = NULL;
  CHECK_STATUS(dg_project_get(e, "persisted", &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("the engine is closed");
  CHECK(out == NULL);
  bool found = true;
  char *tag = NULL;
  CHECK_STATUS(dg_active_version(e, "persisted", "x", "y", "z", &tag, NULL, &found), DG_ERROR_INVALID_INPUT);
  CHECK_OK(dg_engine_close(e));
  dg_engine_free(e);

  /* NULL-safe releases. */
  dg_engine_free(NULL);
  dg_string_free(NULL);
  CHECK_STATUS(dg_engine_close(NULL), DG_ERROR_INVALID_INPUT);

  /* A path that cannot be created is a storage error; the out-pointer is not written. */
  e = (DgEngine *)&found;
  CHECK_STATUS(dg_engine_open("/nonexistent-dir/deeper/x.db", &e), DG_ERROR_STORAGE);
  CHECK(e == (DgEngine *)&found);
  CHECK(dg_last_error_storage_code() == 14); /* SQLITE_CANTOPEN */
  CHECK_OK(dg_engine_open(":memory:", &e));
  CHECK(dg_last_error_storage_code() == 0);
  dg_engine_free(e);
}

static void test_admin(DgEngine *e) {
  char *out = NULL;
  /* Projects. */
  CHECK_STATUS(dg_project_create(e, "other", "acme", "Other", DAVE, &out), DG_ERROR_FORBIDDEN);
  CHECK_STATUS(dg_project_create(e, "japm", "acme", "Again", ALICE, &out), DG_ERROR_CONFLICT);
  CHECK_OK(dg_project_get(e, "japm", &out));
  json_t *v = take_json(out);
  CHECK_STREQ(jstr(v, "name"), "JAPM");
  json_decref(v);

  /* Environments: secrets come back redacted; default policies by name. */
  CHECK_OK(dg_environment_get(e, "japm", "production", &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "variables.0.value"), "***");
  CHECK_STREQ(jstr(v, "variables.1.value"), "eu");
  CHECK_STREQ(jstr(v, "policy.approval_rules.0.name"), "admins");
  CHECK(json_is_true(jpath(v, "policy.four_eyes")));
  json_decref(v);
  CHECK_OK(dg_environment_list(e, "japm", &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 3);
  CHECK_STREQ(jstr(v, "0.name"), "development");
  CHECK_STREQ(jstr(v, "2.name"), "production");
  json_decref(v);

  /* Policy, variables and health. */
  CHECK_OK(dg_environment_create(e, "japm", "{\"name\":\"qa\",\"url\":\"https://qa.example\"}", ALICE, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "policy.approval_rules.0.name"), "lead");
  json_decref(v);
  CHECK_OK(dg_policy_set(e, "japm", "qa", "{\"approval_rules\":[],\"four_eyes\":false}", ALICE, &out));
  v = take_json(out);
  CHECK(json_array_size(jpath(v, "policy.approval_rules")) == 0);
  CHECK(json_is_false(jpath(v, "policy.four_eyes")));
  json_decref(v);
  CHECK_STATUS(dg_policy_set(e, "japm", "qa", "{}", DAVE, &out), DG_ERROR_FORBIDDEN);
  CHECK_OK(dg_variables_set(e, "japm", "qa", "[{\"key\":\"TOKEN\",\"value\":\"t0k\",\"secret\":true}]", ALICE, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "variables.0.value"), "***");
  json_decref(v);
  CHECK_STATUS(dg_variables_set(e, "japm", "qa", "[{\"key\":\"A\",\"value\":\"1\"},{\"key\":\"A\",\"value\":\"2\"}]", ALICE, &out),
               DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("`A` is given twice");
  CHECK_OK(dg_health_set(e, "japm", "qa", "degraded", ALICE, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "health"), "degraded");
  json_decref(v);
  CHECK_STATUS(dg_health_set(e, "japm", "qa", "sick", ALICE, &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("`sick`");

  /* Catalog: registering the same data again is a no-op, different data a conflict. */
  const char *spec = "{\"entity_type\":\"ai_model\",\"entity_id\":\"gpt-x\",\"version_tag\":\"1.0.0\"}";
  CHECK_OK(dg_version_register(e, "japm", spec, ALICE, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "registered_by"), "alice");
  json_decref(v);
  CHECK_STATUS(dg_version_register(
                   e, "japm", "{\"entity_type\":\"ai_model\",\"entity_id\":\"gpt-x\",\"version_tag\":\"1.0.0\",\"digest\":\"sha256:x\"}",
                   ALICE, &out),
               DG_ERROR_CONFLICT);
  CHECK_OK(dg_version_list(e, "japm", "prompt_version", "chatbot", &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 2);
  CHECK_STREQ(jstr(v, "0.version_tag"), "1.2.0");
  json_decref(v);
}

typedef struct {
  DgEngine *engine;
  int calls;
  int saw_secret;
  int reentrant_reads;
} Recorder;

/* Records each activation, checks the secret reaches the executor, and reads the engine back. */
static int32_t recording_executor(void *user_data, const DgActivation *a, char *message, size_t capacity) {
  (void)message;
  (void)capacity;
  Recorder *r = user_data;
  r->calls++;
  if (strstr(a->environment_json, "s3cret") != NULL) r->saw_secret++;
  CHECK(a->version_tag != NULL && !a->revert);
  CHECK(strcmp(a->project_id, "japm") == 0 && strcmp(a->environment, "production") == 0);
  char *tag = NULL;
  bool found = false;
  if (dg_active_version(r->engine, a->project_id, a->environment, a->entity_type, a->entity_id, &tag, NULL, &found) == DG_OK) {
    r->reentrant_reads++;
  }
  dg_string_free(tag);
  return 0;
}

static void test_lifecycle_and_queries(DgEngine *e) {
  const uint32_t zero = 0, one = 1, five = 5, hundred = 100, too_many = 501;
  char *out = NULL;
  json_t *v;
  char *first = request(e, "production", "release-1", "[" CHATBOT_110 "," TEMPLATES_200 "]", ALICE);
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", first, BOB, NULL, &out));
  CHECK_OK(dg_deployment_approve(e, "japm", first, CAROL, "{}", &out));
  check_status_of(out, "approved");
  CHECK_OK(dg_deployment_execute(e, "japm", first, BOB, NULL, NULL, NULL, &out));
  check_status_of(out, "deployed");

  char *second = request(e, "production", "release-2", "[" CHATBOT_120 "," TEMPLATES_210 "]", ALICE);
  CHECK_STATUS(dg_deployment_approve(e, "japm", second, ALICE, NULL, &out), DG_ERROR_SELF_APPROVAL);
  CHECK_MESSAGE_HAS("4-eyes");
  CHECK_STATUS(dg_deployment_approve(e, "japm", second, DAVE, NULL, &out), DG_ERROR_FORBIDDEN);
  CHECK_OK(dg_deployment_approve(e, "japm", second, BOB, "{\"comment\":\"lgtm\"}", &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "status"), "pending");
  CHECK_STREQ(jstr(v, "approvals.0.comment"), "lgtm");
  json_decref(v);
  CHECK_STATUS(dg_deployment_approve(e, "japm", second, BOB, NULL, &out), DG_ERROR_CONFLICT);

  /* The dry run explains what is missing. */
  CHECK_OK(dg_deployment_check(e, "japm", second, BOB, "execute", &out));
  v = take_json(out);
  CHECK(json_is_false(jpath(v, "allowed")));
  CHECK_STREQ(jstr(v, "blockers.0.code"), "policy_violation");
  CHECK(json_integer_value(jpath(v, "approvals.rules.0.granted")) == 1);
  CHECK(json_integer_value(jpath(v, "approvals.rules.0.required")) == 2);
  json_decref(v);
  CHECK_STATUS(dg_deployment_check(e, "japm", second, BOB, "explode", &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("`explode`");
  CHECK_STATUS(dg_deployment_execute(e, "japm", second, BOB, NULL, NULL, NULL, &out), DG_ERROR_POLICY_VIOLATION);

  CHECK_OK(dg_pending_approvals(e, "japm", CAROL, &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 1);
  CHECK_STREQ(jstr(v, "0.id"), second);
  json_decref(v);
  CHECK_OK(dg_deployment_approve(e, "japm", second, CAROL, "{\"rule\":\"admins\"}", &out));
  check_status_of(out, "approved");

  Recorder rec = {e, 0, 0, 0};
  CHECK_OK(dg_deployment_execute(e, "japm", second, CAROL, "{}", recording_executor, &rec, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "status"), "deployed");
  CHECK_STREQ(jstr(v, "items.0.previous_version"), "1.1.0");
  json_decref(v);
  CHECK(rec.calls == 2 && rec.saw_secret == 2 && rec.reentrant_reads == 2);

  /* The typed hot path. */
  char *tag = NULL, *dep = NULL;
  bool found = false;
  CHECK_OK(dg_active_version(e, "japm", "production", "prompt_version", "chatbot", &tag, &dep, &found));
  CHECK(found);
  CHECK_STREQ(tag, "1.2.0");
  CHECK_STREQ(dep, second);
  dg_string_free(tag);
  dg_string_free(dep);
  CHECK_OK(dg_active_version(e, "japm", "production", "prompt_asset_version", "templates", &tag, NULL, &found));
  CHECK(found);
  CHECK_STREQ(tag, "2.1.0");
  dg_string_free(tag);
  dep = (char *)"untouched?";
  CHECK_OK(dg_active_version(e, "japm", "production", "ai_model", "nothing-live", &tag, &dep, &found));
  CHECK(!found && tag == NULL && dep == NULL);
  /* The tag alone. */
  CHECK_OK(dg_active_version_tag(e, "japm", "production", "prompt_version", "chatbot", &tag));
  CHECK_STREQ(tag, "1.2.0");
  dg_string_free(tag);
  tag = (char *)"untouched?";
  CHECK_OK(dg_active_version_tag(e, "japm", "production", "ai_model", "nothing-live", &tag));
  CHECK(tag == NULL);

  CHECK_OK(dg_active_state(e, "japm", "production", &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 2);
  json_decref(v);
  CHECK_OK(dg_entity_history(e, "japm", "prompt_version", "chatbot", NULL, &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 2);
  CHECK_STREQ(jstr(v, "0.version_tag"), "1.2.0");
  json_decref(v);
  CHECK_OK(dg_entity_history(e, "japm", "prompt_version", "chatbot", &one, &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 1);
  json_decref(v);
  CHECK_STATUS(dg_entity_history(e, "japm", "prompt_version", "chatbot", &too_many, &out), DG_ERROR_INVALID_INPUT);
  CHECK_STATUS(dg_entity_history(e, "japm", "prompt_version", "chatbot", &zero, &out), DG_ERROR_INVALID_INPUT);
  CHECK_OK(dg_environments_compare(e, "japm", "production", "staging", &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 2);
  CHECK(json_is_null(jpath(v, "0.right")));
  json_decref(v);
  CHECK_OK(dg_deployment_get(e, "japm", first, &out));
  check_status_of(out, "superseded");

  /* Lists and pages. */
  CHECK_OK(dg_deployment_list(e, "japm", NULL, &out));
  v = take_json(out);
  CHECK(json_array_size(jpath(v, "items")) == 2 && json_is_null(jpath(v, "next_cursor")));
  json_decref(v);
  CHECK_OK(dg_deployment_list(e, "japm", "{\"limit\":1}", &out));
  v = take_json(out);
  CHECK(json_array_size(jpath(v, "items")) == 1);
  CHECK_STREQ(jstr(v, "items.0.id"), second);
  char filter[256];
  snprintf(filter, sizeof filter, "{\"limit\":1,\"cursor\":\"%s\"}", jstr(v, "next_cursor"));
  json_decref(v);
  CHECK_OK(dg_deployment_list(e, "japm", filter, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "items.0.id"), first);
  json_decref(v);
  CHECK_OK(dg_deployment_list(e, "japm", "{\"status\":\"deployed\",\"environment\":\"production\"}", &out));
  v = take_json(out);
  CHECK(json_array_size(jpath(v, "items")) == 1);
  json_decref(v);
  CHECK_STATUS(dg_deployment_list(e, "japm", "{\"status\":\"exploded\"}", &out), DG_ERROR_INVALID_INPUT);

  /* Rollback to the named target restores the old versions. */
  CHECK_STATUS(dg_deployment_rollback(e, "japm", second, DAVE, "{\"reason\":\"bad\"}", NULL, NULL, &out), DG_ERROR_FORBIDDEN);
  CHECK_STATUS(dg_deployment_rollback(e, "japm", second, ALICE, "{}", NULL, NULL, &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("reason is required");
  char opts[256];
  snprintf(opts, sizeof opts, "{\"reason\":\"bad answers\",\"target\":\"%s\"}", first);
  Recorder rb = {e, 0, 0, 0};
  CHECK_OK(dg_deployment_rollback(e, "japm", second, ALICE, opts, recording_executor, &rb, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "kind"), "rollback");
  CHECK_STREQ(jstr(v, "status"), "deployed");
  CHECK_STREQ(jstr(v, "rollback_of"), second);
  json_decref(v);
  CHECK(rb.calls == 2);
  CHECK_OK(dg_active_version(e, "japm", "production", "prompt_version", "chatbot", &tag, NULL, &found));
  CHECK_STREQ(tag, "1.1.0");
  dg_string_free(tag);
  CHECK_OK(dg_deployment_get(e, "japm", second, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "status"), "rolled_back");
  CHECK_STREQ(jstr(v, "rolled_back.reason"), "bad answers");
  json_decref(v);

  /* Reject (reason required) and cancel (reason optional). */
  char *third = request(e, "production", "release-3", "[" CHATBOT_120 "]", ALICE);
  CHECK_STATUS(dg_deployment_reject(e, "japm", third, BOB, "  ", &out), DG_ERROR_INVALID_INPUT);
  CHECK_OK(dg_deployment_reject(e, "japm", third, BOB, "not now", &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "status"), "rejected");
  CHECK_STREQ(jstr(v, "rejection.reason"), "not now");
  json_decref(v);
  char *fourth = request(e, "production", "release-4", "[" CHATBOT_120 "]", ALICE);
  CHECK_STATUS(dg_deployment_cancel(e, "japm", fourth, DAVE, NULL, &out), DG_ERROR_FORBIDDEN);
  CHECK_OK(dg_deployment_cancel(e, "japm", fourth, ALICE, NULL, &out));
  check_status_of(out, "cancelled");
  CHECK_STATUS(dg_deployment_cancel(e, "japm", fourth, ALICE, "again", &out), DG_ERROR_INVALID_TRANSITION);
  CHECK_MESSAGE_HAS("`cancelled`");

  /* The audit trail. */
  CHECK_OK(dg_audit_log(e, "japm", second, 0, &hundred, &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 7);
  CHECK_STREQ(jstr(v, "0.action"), "deployment.requested");
  CHECK_STREQ(jstr(v, "6.action"), "deployment.rolled_back");
  json_decref(v);
  CHECK_OK(dg_audit_log(e, "japm", NULL, 3, &five, &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 5);
  CHECK(json_integer_value(jpath(v, "0.seq")) == 4);
  json_decref(v);
  CHECK_OK(dg_audit_verify(e, &out));
  v = take_json(out);
  json_int_t entries = json_integer_value(jpath(v, "entries"));
  CHECK(entries > 30);
  CHECK(strlen(jstr(v, "head_hash")) == 64);
  json_decref(v);
  CHECK_OK(dg_audit_log(e, "japm", NULL, 0, NULL, &out)); /* no limit: the default page of 50 */
  v = take_json(out);
  CHECK((json_int_t)json_array_size(v) == (entries < 50 ? entries : 50));
  json_decref(v);
  free(first);
  free(second);
  free(third);
  free(fourth);
}

/* The kind of event an audit action publishes. */
static const char *kind_of(const char *action) { return strcmp(action, "deployment.started") == 0 ? "deployment.deploying" : action; }

/* The signature of the first event, copied (free with free()); NULL when it is unsigned. */
static char *first_signature(DgEngine *e) {
  const uint32_t one = 1;
  char *out = NULL;
  CHECK_OK(dg_events_after(e, NULL, 0, &one, &out));
  json_t *v = take_json(out);
  CHECK(json_array_size(v) == 1);
  const char *sig = jstr(v, "0.signature");
  CHECK(sig != NULL || json_is_null(jpath(v, "0.signature")));
  char *copy = sig != NULL ? strdup(sig) : NULL;
  json_decref(v);
  return copy;
}

/* The outbox: one event per audit entry in order, cursor paging, the project filter and the
 * HMAC signature. */
static void test_events(void) {
  const uint32_t one = 1, three = 3, thousand = 1000, five_hundred = 500;
  DgEngine *e = NULL;
  char *out = NULL;
  CHECK_OK(dg_engine_open(":memory:", &e));
  setup_japm(e);
  CHECK_OK_DISCARD(dg_project_create(e, "other", "acme", "Other", ALICE, &out));
  char *id = request(e, "staging", "events", "[" CHATBOT_110 "]", DAVE);
  CHECK_STATUS(dg_deployment_approve(e, "japm", id, DAVE, NULL, &out), DG_ERROR_SELF_APPROVAL); /* writes no event */
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", id, LENA, "{\"comment\":\"ok\"}", &out));
  CHECK_OK_DISCARD(dg_deployment_execute(e, "japm", id, DAVE, NULL, NULL, NULL, &out));

  /* One event per audit entry, in the same order, with increasing seq and unique ids. */
  CHECK_OK(dg_events_after(e, "japm", 0, &thousand, &out));
  json_t *all = take_json(out);
  CHECK_OK(dg_audit_log(e, "japm", NULL, 0, &five_hundred, &out));
  json_t *audit = take_json(out);
  size_t n = json_array_size(all);
  CHECK(n == json_array_size(audit) && n == 9 + 5);
  for (size_t i = 0; i < n; i++) {
    json_t *ev = json_array_get(all, i), *entry = json_array_get(audit, i);
    CHECK_STREQ(jstr(ev, "kind"), kind_of(jstr(entry, "action")));
    CHECK_STREQ(jstr(ev, "object_id"), jstr(entry, "object_id"));
    CHECK_STREQ(jstr(ev, "actor_id"), jstr(entry, "actor_id"));
    CHECK_STREQ(jstr(ev, "project_id"), "japm");
    CHECK(json_is_null(jpath(ev, "signature")));
    CHECK(strlen(jstr(ev, "id")) == 36);
    if (i > 0) {
      json_t *prev = json_array_get(all, i - 1);
      CHECK(json_integer_value(jpath(ev, "seq")) > json_integer_value(jpath(prev, "seq")));
      for (size_t j = 0; j < i; j++) CHECK(strcmp(jstr(ev, "id"), jstr(json_array_get(all, j), "id")) != 0);
    }
  }
  json_decref(audit);
  const char *kinds[] = {"deployment.requested", "deployment.approval_granted", "deployment.approved", "deployment.deploying",
                         "deployment.deployed"};
  for (size_t i = 0; i < 5; i++) {
    json_t *ev = json_array_get(all, n - 5 + i);
    CHECK_STREQ(jstr(ev, "kind"), kinds[i]);
    CHECK_STREQ(jstr(ev, "object_id"), id);
  }
  CHECK_STREQ(jstr(all, "9.actor_id"), "dave");
  CHECK_STREQ(jstr(all, "9.payload.after.status"), "pending");
  CHECK_STREQ(jstr(all, "10.payload.reason"), "ok");
  CHECK_STREQ(jstr(all, "12.payload.before.status"), "approved");
  CHECK_STREQ(jstr(all, "13.payload.after.status"), "deployed");

  /* Cursor paging returns the same sequence; the default page is 100. */
  json_t *paged = json_array();
  int64_t cursor = 0;
  for (;;) {
    CHECK_OK(dg_events_after(e, "japm", cursor, &three, &out));
    json_t *page = take_json(out);
    CHECK(json_array_size(page) <= 3);
    if (json_array_size(page) == 0) {
      json_decref(page);
      break;
    }
    cursor = json_integer_value(jpath(json_array_get(page, json_array_size(page) - 1), "seq"));
    json_array_extend(paged, page);
    json_decref(page);
  }
  CHECK(json_equal(paged, all));
  json_decref(paged);
  CHECK_OK(dg_events_after(e, "japm", 0, NULL, &out));
  json_t *v = take_json(out);
  CHECK(json_equal(v, all));
  json_decref(v);

  /* NULL is every project; a project sees only its own events; an unknown one has none. */
  CHECK_OK(dg_events_after(e, NULL, 0, &thousand, &out));
  v = take_json(out);
  CHECK(json_array_size(v) == n + 1);
  CHECK_STREQ(jstr(v, "9.kind"), "project.created");
  CHECK_STREQ(jstr(v, "9.project_id"), "other");
  json_decref(v);
  CHECK_OK(dg_events_after(e, "other", 0, NULL, &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 1);
  CHECK_STREQ(jstr(v, "0.object_id"), "other");
  json_decref(v);
  CHECK_OK(dg_events_after(e, "nope", 0, NULL, &out));
  v = take_json(out);
  CHECK(json_is_array(v) && json_array_size(v) == 0);
  json_decref(v);
  int64_t last = json_integer_value(jpath(json_array_get(all, n - 1), "seq"));
  CHECK_OK(dg_events_after(e, "japm", last, &one, &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 0);
  json_decref(v);

  /* Signatures: present with a key (any bytes, NUL included, all `len` of them), stable for
   * the same key and event, different under another key, gone once the key is cleared. */
  CHECK(first_signature(e) == NULL);
  const uint8_t key[] = {'s', '3', 'c', 0, 'r', 'e', 't'};
  CHECK_OK(dg_event_signing_key_set(e, key, sizeof key));
  char *sig = first_signature(e), *again = first_signature(e);
  CHECK(sig != NULL && strlen(sig) == 64 && strspn(sig, "0123456789abcdef") == 64);
  CHECK_STREQ(again, sig);
  free(again);
  CHECK_OK(dg_events_after(e, "japm", 0, &thousand, &out));
  v = take_json(out);
  CHECK(json_array_size(v) == n);
  CHECK(strcmp(jstr(v, "0.signature"), jstr(v, "1.signature")) != 0);
  json_decref(v);
  CHECK_OK(dg_event_signing_key_set(e, key, 3)); /* "s3c": only `len` bytes count */
  char *shorter = first_signature(e);
  CHECK(shorter != NULL && strcmp(shorter, sig) != 0);
  free(shorter);
  CHECK_OK(dg_event_signing_key_set(e, (const uint8_t *)"other", 5));
  char *other = first_signature(e);
  CHECK(other != NULL && strcmp(other, sig) != 0);
  free(other);
  CHECK_OK(dg_event_signing_key_set(e, key, sizeof key));
  again = first_signature(e);
  CHECK_STREQ(again, sig);
  free(again);
  CHECK_OK(dg_event_signing_key_set(e, NULL, 0));
  CHECK(first_signature(e) == NULL);
  free(sig);
  json_decref(all);
  free(id);
  dg_engine_free(e);
}

typedef struct {
  int64_t now_micros;
  int freed;
} TestClock;

static int64_t test_clock_now(void *user_data) { return ((TestClock *)user_data)->now_micros; }
static void test_clock_free(void *user_data) { ((TestClock *)user_data)->freed++; }

static void test_clock(void) {
  TestClock clock = {1768467600000000LL, 0}; /* 2026-01-15T09:00:00Z */
  DgEngine *e = NULL;
  CHECK_OK(dg_engine_open_with_clock(":memory:", test_clock_now, &clock, test_clock_free, &e));
  char *out = NULL;
  CHECK_OK(dg_project_create(e, "japm", "acme", "JAPM", ALICE, &out));
  json_t *v = take_json(out);
  CHECK_STREQ(jstr(v, "created_at"), "2026-01-15T09:00:00Z");
  json_decref(v);
  CHECK_OK_DISCARD(dg_environment_create(
      e, "japm", "{\"name\":\"staging\",\"policy\":{\"approval_rules\":[{\"name\":\"lead\",\"required_approvals\":1,"
      "\"eligible_roles\":[\"lead\"]}],\"approval_ttl_seconds\":60}}", ALICE, &out));
  register_version(e, "prompt_version", "chatbot", "1.1.0");
  char *id = request(e, "staging", "ttl", "[" CHATBOT_110 "]", DAVE);
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", id, LENA, NULL, &out));
  clock.now_micros += 120 * 1000000LL;
  CHECK_STATUS(dg_deployment_execute(e, "japm", id, LENA, NULL, NULL, NULL, &out), DG_ERROR_POLICY_VIOLATION);
  CHECK_MESSAGE_HAS("expired");
  free(id);
  CHECK(clock.freed == 0);
  dg_engine_free(e);
  CHECK(clock.freed == 1);

  /* Ownership passes even when opening fails. */
  e = NULL;
  CHECK_STATUS(dg_engine_open_with_clock(":memory:", NULL, &clock, test_clock_free, &e), DG_ERROR_INVALID_INPUT);
  CHECK(clock.freed == 2 && e == NULL);
  CHECK_STATUS(dg_engine_open_with_clock(NULL, test_clock_now, &clock, test_clock_free, &e), DG_ERROR_INVALID_INPUT);
  CHECK(clock.freed == 3 && e == NULL);
}

/* Advances the test clock by `seconds`. */
static void advance(TestClock *clock, int64_t seconds) { clock->now_micros += seconds * 1000000LL; }

/* Promotion through staging into production (requires_success_in), the periodic sweep (approvals
 * expired), admin lease release refused outside an execution, and what was live at past instants,
 * on a host clock (the lease-expiry path itself is in test_callbacks.c). */
static void test_governance(void) {
  TestClock clock = {1772352000000000LL, 0}; /* 2026-03-01T08:00:00Z */
  DgEngine *e = NULL;
  char *out = NULL;
  CHECK_OK(dg_engine_open_with_clock(":memory:", test_clock_now, &clock, NULL, &e));
  CHECK_OK_DISCARD(dg_project_create(e, "japm", "acme", "JAPM", ALICE, &out));
  CHECK_OK_DISCARD(dg_environment_create(e, "japm", "{\"name\":\"staging\"}", ALICE, &out));
  CHECK_OK_DISCARD(dg_environment_create(
      e, "japm", "{\"name\":\"production\",\"policy\":{\"approval_rules\":[{\"name\":\"admins\",\"required_approvals\":1,"
      "\"eligible_roles\":[\"admin\"]}],\"request_roles\":[\"admin\"],\"execute_roles\":[\"admin\"],"
      "\"requires_success_in\":[\"staging\"],\"lease_ttl_seconds\":600}}", ALICE, &out));
  CHECK_OK_DISCARD(dg_environment_create(
      e, "japm", "{\"name\":\"qa\",\"policy\":{\"approval_rules\":[{\"name\":\"lead\",\"required_approvals\":1,"
      "\"eligible_roles\":[\"lead\"]}],\"approval_ttl_seconds\":60}}", ALICE, &out));
  register_version(e, "prompt_version", "chatbot", "1.1.0");
  register_version(e, "prompt_version", "chatbot", "1.2.0");

  /* Production refuses versions that have not gone live in staging. */
  CHECK_STATUS(dg_deployment_request(e, "japm", "{\"environment\":\"production\",\"name\":\"direct\",\"items\":[" CHATBOT_110 "]}",
                                     ALICE, &out),
               DG_ERROR_VALIDATION_FAILED);
  json_t *v = take_json(dg_last_error_findings());
  CHECK_STREQ(jstr(v, "errors.0.code"), "promotion_required");
  json_decref(v);

  /* Only a deployment that went live may be promoted. */
  char *staged = request(e, "staging", "s1", "[" CHATBOT_110 "]", DAVE);
  CHECK_STATUS(dg_deployment_promote(e, "japm", staged, "production", ALICE, &out), DG_ERROR_INVALID_TRANSITION);
  CHECK_MESSAGE_HAS("cannot promote a deployment that is `pending`");
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", staged, LENA, NULL, &out));
  advance(&clock, 3600); /* 09:00 */
  CHECK_OK(dg_deployment_execute(e, "japm", staged, DAVE, NULL, NULL, NULL, &out));
  check_status_of(out, "deployed");
  CHECK_STATUS(dg_deployment_promote(e, "japm", staged, "production", DAVE, &out), DG_ERROR_FORBIDDEN);
  CHECK_STATUS(dg_deployment_promote(e, "japm", staged, "staging", ALICE, &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("already in `staging`");
  CHECK_STATUS(dg_deployment_promote(e, "japm", staged, "nowhere", ALICE, &out), DG_ERROR_NOT_FOUND);

  /* The promotion: same versions, `promoted_from`, governed by production's policy. */
  CHECK_OK(dg_deployment_promote(e, "japm", staged, "production", ALICE, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "kind"), "promotion");
  CHECK_STREQ(jstr(v, "status"), "pending");
  CHECK_STREQ(jstr(v, "promoted_from"), staged);
  CHECK_STREQ(jstr(v, "environment"), "production");
  CHECK_STREQ(jstr(v, "requested_by"), "alice");
  CHECK(json_array_size(jpath(v, "items")) == 1);
  CHECK_STREQ(jstr(v, "items.0.version_tag"), "1.1.0");
  CHECK_STREQ(jstr(v, "items.0.status"), "pending");
  char *promoted = strdup(jstr(v, "id"));
  json_decref(v);
  CHECK_STATUS(dg_deployment_execute(e, "japm", promoted, ALICE, NULL, NULL, NULL, &out), DG_ERROR_POLICY_VIOLATION);
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", promoted, BOB, NULL, &out));
  advance(&clock, 3600); /* 10:00 */
  CHECK_OK(dg_deployment_execute(e, "japm", promoted, BOB, NULL, NULL, NULL, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "status"), "deployed");
  CHECK(json_is_null(jpath(v, "lease_expires_at"))); /* the lease ends with the execution */
  json_decref(v);

  /* A lease exists only while deploying; releasing one needs an admin and a reason. */
  CHECK_STATUS(dg_lease_release(e, "japm", promoted, ALICE, "stuck", &out), DG_ERROR_INVALID_TRANSITION);
  CHECK_MESSAGE_HAS("`deployed`");
  CHECK_STATUS(dg_lease_release(e, "japm", promoted, DAVE, "stuck", &out), DG_ERROR_FORBIDDEN);
  CHECK_STATUS(dg_lease_release(e, "japm", promoted, ALICE, "  ", &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("a reason is required");

  /* The sweep: nothing to do, then approvals past their TTL go back to pending (idempotent). */
  CHECK_OK(dg_sweep(e, &out));
  v = take_json(out);
  CHECK(json_object_size(v) == 3 && json_array_size(jpath(v, "leases_expired")) == 0 &&
        json_array_size(jpath(v, "approvals_expired")) == 0 && json_array_size(jpath(v, "schedules_expired")) == 0);
  json_decref(v);
  char *waiting = request(e, "qa", "q1", "[" CHATBOT_110 "]", DAVE);
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", waiting, LENA, NULL, &out));
  advance(&clock, 120); /* 10:02 */
  CHECK_OK(dg_sweep(e, &out));
  v = take_json(out);
  CHECK(json_array_size(jpath(v, "approvals_expired")) == 1);
  CHECK_STREQ(jstr(v, "approvals_expired.0"), waiting);
  CHECK(json_array_size(jpath(v, "leases_expired")) == 0);
  json_decref(v);
  CHECK_OK(dg_deployment_get(e, "japm", waiting, &out));
  check_status_of(out, "pending");
  CHECK_OK(dg_sweep(e, &out));
  v = take_json(out);
  CHECK(json_array_size(jpath(v, "approvals_expired")) == 0);
  json_decref(v);
  CHECK_OK(dg_audit_log(e, "japm", waiting, 0, NULL, &out));
  v = take_json(out);
  json_t *last = json_array_get(v, json_array_size(v) - 1);
  CHECK_STREQ(jstr(last, "action"), "deployment.approvals_expired");
  CHECK_STREQ(jstr(last, "actor_id"), "deploygov:sweep");
  CHECK_STREQ(jstr(last, "reason"), "approvals expired");
  json_decref(v);

  /* Point in time: nothing before 10:00 in production, the promotion from 10:00 on (any offset). */
  CHECK_OK(dg_active_state_at(e, "japm", "production", "2026-03-01T09:59:59.999999Z", &out));
  v = take_json(out);
  CHECK(json_is_array(v) && json_array_size(v) == 0);
  json_decref(v);
  CHECK_OK(dg_active_state_at(e, "japm", "production", "2026-03-01T11:00:00+01:00", &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 1);
  CHECK_STREQ(jstr(v, "0.entity_id"), "chatbot");
  CHECK_STREQ(jstr(v, "0.version_tag"), "1.1.0");
  CHECK_STREQ(jstr(v, "0.deployment_id"), promoted);
  CHECK_STREQ(jstr(v, "0.since"), "2026-03-01T10:00:00Z");
  CHECK_STREQ(jstr(v, "0.requested_by"), "alice");
  CHECK(json_array_size(jpath(v, "0.approved_by")) == 1);
  CHECK_STREQ(jstr(v, "0.approved_by.0"), "bob");
  CHECK_STREQ(jstr(v, "0.executed_by"), "bob");
  json_decref(v);
  CHECK_OK(dg_deployments_live_at(e, "japm", "staging", "2026-03-01T09:30:00Z", &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 1);
  CHECK_STREQ(jstr(v, "0.id"), staged);
  CHECK_STREQ(jstr(v, "0.status"), "deployed");
  json_decref(v);
  CHECK_OK(dg_deployments_live_at(e, "japm", "staging", "2026-03-01T08:30:00Z", &out));
  v = take_json(out);
  CHECK(json_is_array(v) && json_array_size(v) == 0);
  json_decref(v);
  CHECK_STATUS(dg_active_state_at(e, "japm", "nowhere", "2026-03-01T09:30:00Z", &out), DG_ERROR_NOT_FOUND);
  CHECK_STATUS(dg_deployments_live_at(e, "nope", "staging", "2026-03-01T09:30:00Z", &out), DG_ERROR_NOT_FOUND);
  CHECK_STATUS(dg_active_state_at(e, "japm", "production", "1 March 2026", &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("`at` must be an RFC 3339 time like `2026-03-01T09:00:00Z`, got `1 March 2026`");
  CHECK_STATUS(dg_deployments_live_at(e, "japm", "production", "2026-03-01T09:30:00", &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("`at` must be an RFC 3339 time");

  CHECK_OK_DISCARD(dg_audit_verify(e, &out));
  free(staged);
  free(promoted);
  free(waiting);
  dg_engine_free(e);
}

#define CHATBOT_100 "{\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.0.0\"}"

/* The first error finding of the last failure. */
static void check_finding(const char *code) {
  json_t *v = take_json(dg_last_error_findings());
  CHECK_STREQ(jstr(v, "errors.0.code"), code);
  json_decref(v);
}

/* A deployment request to `development`; `schedule` is "" or `,"scheduled_for":...` members. */
static int32_t request_scheduled(DgEngine *e, const char *name, const char *item, const char *schedule, char **out) {
  char req[1024];
  snprintf(req, sizeof req, "{\"environment\":\"development\",\"name\":\"%s\"%s,\"items\":[%s]}", name, schedule, item);
  return dg_deployment_request(e, "japm", req, DAVE, out);
}

/* The `quarantine` member of the stored version `chatbot` `tag` (NULL when not quarantined);
 * release `*holder` with json_decref(). */
static json_t *quarantine_of(DgEngine *e, const char *tag, json_t **holder) {
  char *out = NULL;
  CHECK_OK(dg_version_list(e, "japm", "prompt_version", "chatbot", &out));
  *holder = take_json(out);
  for (size_t i = 0; i < json_array_size(*holder); i++) {
    json_t *v = json_array_get(*holder, i);
    if (strcmp(jstr(v, "version_tag"), tag) == 0) return json_is_null(jpath(v, "quarantine")) ? NULL : jpath(v, "quarantine");
  }
  CHECK(!"version listed");
  return NULL;
}

/* Quarantine (admins, a reason, refused while quarantined; blocks requests and executions; set
 * automatically by a rollback under quarantine_on_rollback) and schedules (scheduled_for,
 * expires_at, not_yet_due, schedule_expired, dg_deployments_due, the sweep cancelling), on a host
 * clock. */
static void test_quarantine_and_schedules(void) {
  TestClock clock = {1777629600000000LL, 0}; /* 2026-05-01T10:00:00Z */
  DgEngine *e = NULL;
  char *out = NULL;
  json_t *v = NULL, *holder = NULL;
  CHECK_OK(dg_engine_open_with_clock(":memory:", test_clock_now, &clock, NULL, &e));
  CHECK_OK_DISCARD(dg_project_create(e, "japm", "acme", "JAPM", ALICE, &out));
  CHECK_OK_DISCARD(
      dg_environment_create(e, "japm", "{\"name\":\"development\",\"policy\":{\"quarantine_on_rollback\":true}}", ALICE, &out));
  CHECK_OK(dg_environment_get(e, "japm", "development", &out));
  v = take_json(out);
  CHECK(json_is_true(jpath(v, "policy.quarantine_on_rollback")));
  json_decref(v);
  register_version(e, "prompt_version", "chatbot", "1.0.0");
  register_version(e, "prompt_version", "chatbot", "1.1.0");
  register_version(e, "prompt_asset_version", "templates", "2.0.0");

  /* Refusals: role, blank reason, unknown version or project, nothing written. */
  CHECK_STATUS(dg_version_quarantine(e, "japm", "prompt_version", "chatbot", "1.0.0", DAVE, "leaks pii", &out), DG_ERROR_FORBIDDEN);
  CHECK_MESSAGE_HAS("actor `dave` may not quarantine versions");
  CHECK_STATUS(dg_version_quarantine(e, "japm", "prompt_version", "chatbot", "1.0.0", ALICE, " \t", &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("a reason is required");
  CHECK_STATUS(dg_version_quarantine(e, "japm", "prompt_version", "chatbot", "9.9.9", ALICE, "x", &out), DG_ERROR_NOT_FOUND);
  CHECK_MESSAGE_HAS("is not in the catalog");
  CHECK_STATUS(dg_version_quarantine(e, "nope", "prompt_version", "chatbot", "1.0.0", ALICE, "x", &out), DG_ERROR_NOT_FOUND);
  CHECK_STATUS(dg_version_release(e, "japm", "prompt_version", "chatbot", "1.0.0", ALICE, "x", &out), DG_ERROR_CONFLICT);
  CHECK_MESSAGE_HAS("is not quarantined");
  CHECK(quarantine_of(e, "1.0.0", &holder) == NULL);
  json_decref(holder);

  /* Quarantined: the decision is on the version, requests carrying it are refused. */
  CHECK_OK(dg_version_quarantine(e, "japm", "prompt_version", "chatbot", "1.0.0", ALICE, "leaks pii", &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "version_tag"), "1.0.0");
  CHECK_STREQ(jstr(v, "quarantine.actor_id"), "alice");
  CHECK_STREQ(jstr(v, "quarantine.reason"), "leaks pii");
  CHECK_STREQ(jstr(v, "quarantine.at"), "2026-05-01T10:00:00Z");
  json_decref(v);
  json_t *q = quarantine_of(e, "1.0.0", &holder);
  CHECK(q != NULL);
  CHECK_STREQ(jstr(q, "reason"), "leaks pii");
  json_decref(holder);
  CHECK_STATUS(dg_version_quarantine(e, "japm", "prompt_version", "chatbot", "1.0.0", BOB, "again", &out), DG_ERROR_CONFLICT);
  CHECK_MESSAGE_HAS("already quarantined");
  CHECK_STATUS(request_scheduled(e, "q", CHATBOT_100, "", &out), DG_ERROR_VALIDATION_FAILED);
  check_finding("version_quarantined");
  CHECK_MESSAGE_HAS("version_quarantined");
  CHECK_STATUS(dg_version_release(e, "japm", "prompt_version", "chatbot", "1.0.0", DAVE, "fixed", &out), DG_ERROR_FORBIDDEN);
  CHECK_MESSAGE_HAS("may not release quarantined versions");
  CHECK_STATUS(dg_version_release(e, "japm", "prompt_version", "chatbot", "1.0.0", CAROL, "", &out), DG_ERROR_INVALID_INPUT);
  CHECK_OK(dg_version_release(e, "japm", "prompt_version", "chatbot", "1.0.0", CAROL, "fixed upstream", &out));
  v = take_json(out);
  CHECK(json_is_null(jpath(v, "quarantine")));
  json_decref(v);
  CHECK_STATUS(dg_version_release(e, "japm", "prompt_version", "chatbot", "1.0.0", ALICE, "again", &out), DG_ERROR_CONFLICT);
  CHECK_OK(dg_audit_log(e, "japm", "prompt_version/chatbot@1.0.0", 0, NULL, &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 3);
  CHECK_STREQ(jstr(v, "1.action"), "version.quarantined");
  CHECK_STREQ(jstr(v, "1.reason"), "leaks pii");
  CHECK_STREQ(jstr(v, "2.action"), "version.released");
  CHECK_STREQ(jstr(v, "2.actor_id"), "carol");
  CHECK_STREQ(jstr(v, "2.reason"), "fixed upstream");
  json_decref(v);

  /* An approved deployment whose version is quarantined meanwhile is refused at execution. */
  CHECK_OK(request_scheduled(e, "held", TEMPLATES_200, "", &out));
  char *held = take_id(out);
  CHECK_OK_DISCARD(dg_version_quarantine(e, "japm", "prompt_asset_version", "templates", "2.0.0", ALICE, "cve", &out));
  CHECK_STATUS(dg_deployment_execute(e, "japm", held, DAVE, NULL, NULL, NULL, &out), DG_ERROR_VALIDATION_FAILED);
  check_finding("version_quarantined");
  CHECK_OK_DISCARD(dg_deployment_cancel(e, "japm", held, DAVE, "quarantined", &out));
  CHECK_OK_DISCARD(dg_version_release(e, "japm", "prompt_asset_version", "templates", "2.0.0", ALICE, "patched", &out));

  /* quarantine_on_rollback: the rollback quarantines what it took out, as deploygov:auto. */
  CHECK_OK(request_scheduled(e, "v1", CHATBOT_100, "", &out));
  char *v1 = take_id(out);
  CHECK_OK_DISCARD(dg_deployment_execute(e, "japm", v1, DAVE, NULL, NULL, NULL, &out));
  CHECK_OK(request_scheduled(e, "v2", CHATBOT_110, "", &out));
  char *v2 = take_id(out);
  CHECK_OK_DISCARD(dg_deployment_execute(e, "japm", v2, DAVE, NULL, NULL, NULL, &out));
  CHECK_OK(dg_deployment_rollback(e, "japm", v2, DAVE, "{\"reason\":\"hallucinates\"}", NULL, NULL, &out));
  check_status_of(out, "deployed");
  q = quarantine_of(e, "1.1.0", &holder);
  CHECK(q != NULL);
  CHECK_STREQ(jstr(q, "actor_id"), "deploygov:auto");
  json_decref(holder);
  CHECK(quarantine_of(e, "1.0.0", &holder) == NULL);
  json_decref(holder);

  /* Schedules: expires_at must follow scheduled_for; times are RFC 3339. */
  CHECK_STATUS(request_scheduled(e, "bad", CHATBOT_100,
                                 ",\"scheduled_for\":\"2026-05-01T12:00:00Z\",\"expires_at\":\"2026-05-01T11:00:00Z\"", &out),
               DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("is not after scheduled_for");
  CHECK_STATUS(request_scheduled(e, "bad", CHATBOT_100, ",\"scheduled_for\":\"tonight\"", &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("invalid json in `request`");
  CHECK_OK(request_scheduled(e, "night", CHATBOT_100, ",\"scheduled_for\":\"2026-05-01T22:00:00Z\"", &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "status"), "approved");
  CHECK_STREQ(jstr(v, "scheduled_for"), "2026-05-01T22:00:00Z");
  CHECK(json_is_null(jpath(v, "expires_at")));
  char *night = strdup(jstr(v, "id"));
  json_decref(v);
  CHECK_OK(request_scheduled(e, "window", TEMPLATES_200, ",\"expires_at\":\"2026-05-01T13:00:00+02:00\"", &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "expires_at"), "2026-05-01T11:00:00Z"); /* stored in UTC */
  CHECK(json_is_null(jpath(v, "scheduled_for")));
  char *window = strdup(jstr(v, "id"));
  json_decref(v);

  /* Due now: only `window`; `night` is refused before its time. */
  CHECK_OK(dg_deployments_due(e, "japm", &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 1);
  CHECK_STREQ(jstr(v, "0.id"), window);
  json_decref(v);
  CHECK_STATUS(dg_deployment_execute(e, "japm", night, DAVE, NULL, NULL, NULL, &out), DG_ERROR_VALIDATION_FAILED);
  check_finding("not_yet_due");
  CHECK_STATUS(dg_deployments_due(e, "nope", &out), DG_ERROR_NOT_FOUND);

  /* 11:00: `window` expired; the sweep cancels it, once. */
  advance(&clock, 3600);
  CHECK_STATUS(dg_deployment_execute(e, "japm", window, DAVE, NULL, NULL, NULL, &out), DG_ERROR_VALIDATION_FAILED);
  check_finding("schedule_expired");
  CHECK_OK(dg_deployments_due(e, "japm", &out));
  CHECK(strcmp(out, "[]") == 0);
  dg_string_free(out);
  CHECK_OK(dg_sweep(e, &out));
  v = take_json(out);
  CHECK(json_object_size(v) == 3 && json_array_size(jpath(v, "schedules_expired")) == 1);
  CHECK_STREQ(jstr(v, "schedules_expired.0"), window);
  json_decref(v);
  CHECK_OK(dg_deployment_get(e, "japm", window, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "status"), "cancelled");
  CHECK_STREQ(jstr(v, "cancellation.actor_id"), "deploygov:sweep");
  json_decref(v);
  CHECK_OK(dg_sweep(e, &out));
  v = take_json(out);
  CHECK(json_array_size(jpath(v, "schedules_expired")) == 0);
  json_decref(v);

  /* 22:00: `night` is due and runs. */
  advance(&clock, 11 * 3600);
  CHECK_OK(dg_deployments_due(e, "japm", &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 1);
  CHECK_STREQ(jstr(v, "0.id"), night);
  json_decref(v);
  CHECK_OK(dg_deployment_execute(e, "japm", night, DAVE, NULL, NULL, NULL, &out));
  check_status_of(out, "deployed");

  CHECK_OK_DISCARD(dg_audit_verify(e, &out));
  free(held);
  free(v1);
  free(v2);
  free(night);
  free(window);
  dg_engine_free(e);
}

int main(int argc, char **argv) {
  const char *tmpdir = argc > 1 ? argv[1] : "/tmp";
  test_names();
  test_open_close_free(tmpdir);
  DgEngine *e = NULL;
  CHECK_OK(dg_engine_open(":memory:", &e));
  setup_japm(e);
  test_admin(e);
  test_lifecycle_and_queries(e);
  dg_engine_free(e);
  test_events();
  test_clock();
  test_governance();
  test_quarantine_and_schedules();
  printf("test_api: ok\n");
  return 0;
}
