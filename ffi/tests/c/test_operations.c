/* Operations around execution through the C ABI: freeze windows (refusals, the override, removal),
 * two-phase execution (begin, stage logs with cursors, heartbeats, complete), guided failure
 * (`paused`, resume with a callback executor: retry, skip, abort) and health checks with an
 * automatic rollback through a callback executor. Each function also gets its bad input: NULL
 * handles and pointers, invalid UTF-8, malformed JSON, unknown enum strings, unknown ids; nothing
 * is written on failure. */
#include <stdbool.h>

#include "fixture.h"

#define SENTINEL ((char *)&sentinel_byte)
static char sentinel_byte;

/* Expects `call` (which writes through `out`) to fail with `status` and leave `out` untouched. */
#define REFUSED(call, status)              \
  do {                                     \
    out = SENTINEL;                        \
    CHECK_STATUS(call, status);            \
    CHECK(out == SENTINEL);                \
    CHECK(dg_last_error_code() == status); \
  } while (0)

#define I DG_ERROR_INVALID_INPUT
#define NOW_SECONDS 1772447400LL /* 2026-03-02T10:30:00Z */
#define ITEM(type, id, tag) "{\"entity_type\":\"" type "\",\"entity_id\":\"" id "\",\"version_tag\":\"" tag "\"}"

typedef struct {
  int64_t now;
} Clock;

static int64_t clock_now(void *user_data) { return ((Clock *)user_data)->now; }

/* A host executor that records its calls and fails the activation (not the revert) of one entity. */
typedef struct {
  const char *fail_entity; /* NULL: never fails */
  int calls;
  int reverts;
  char last[128]; /* entity_id@version_tag of the last call */
} Recorder;

static int32_t record_executor(void *user_data, const DgActivation *a, char *message, size_t capacity) {
  Recorder *r = user_data;
  r->calls++;
  r->reverts += a->revert ? 1 : 0;
  snprintf(r->last, sizeof r->last, "%s@%s", a->entity_id, a->version_tag != NULL ? a->version_tag : "-");
  if (r->fail_entity != NULL && !a->revert && strcmp(a->entity_id, r->fail_entity) == 0) {
    snprintf(message, capacity, "host refused %s", a->entity_id);
    return 7;
  }
  return 0;
}

static json_t *findings_of_last_error(void) {
  char *f = dg_last_error_findings();
  CHECK(f != NULL);
  return take_json(f);
}

/* The JSON result of a call that must succeed. `out` is read only here, after the call (argument
 * evaluation order is unspecified in C). */
static json_t *ok_json(int32_t status, char **out) {
  CHECK_OK(status);
  return take_json(*out);
}

static void test_freezes(DgEngine *e) {
  char *out = NULL;
  const char *one_off = "{\"environment\":\"development\",\"name\":\"launch\",\"schedule\":{\"type\":\"one_off\","
                        "\"start\":\"2026-03-02T10:00:00Z\",\"end\":\"2026-03-02T12:00:00Z\"}}";
  /* Bad input first: nothing is created. */
  REFUSED(dg_freeze_add(NULL, "japm", one_off, ALICE, &out), I);
  CHECK_MESSAGE_HAS("`engine` must not be null");
  REFUSED(dg_freeze_add(e, NULL, one_off, ALICE, &out), I);
  CHECK_MESSAGE_HAS("`project` must not be null");
  REFUSED(dg_freeze_add(e, "japm", NULL, ALICE, &out), I);
  CHECK_MESSAGE_HAS("`spec` must not be null");
  REFUSED(dg_freeze_add(e, "japm", "{\"name\":", ALICE, &out), I);
  CHECK_MESSAGE_HAS("invalid json in `spec`");
  REFUSED(dg_freeze_add(e, "ja\xffpm", one_off, ALICE, &out), I);
  CHECK_MESSAGE_HAS("`project` is not valid utf-8");
  REFUSED(dg_freeze_add(e, "japm", one_off, "{\"id\":\"alice\"", &out), I);
  CHECK_MESSAGE_HAS("invalid json in `actor`");
  CHECK_STATUS(dg_freeze_add(e, "japm", one_off, ALICE, NULL), I);
  CHECK_MESSAGE_HAS("`out` must not be null");
  REFUSED(dg_freeze_add(e, "japm", "{\"name\":\"x\",\"schedule\":{\"type\":\"monthly\"}}", ALICE, &out), I);
  CHECK_MESSAGE_HAS("`monthly`");
  REFUSED(dg_freeze_add(e, "japm",
                        "{\"name\":\"x\",\"schedule\":{\"type\":\"weekly\",\"days\":[\"funday\"],\"start_time\":\"10:00\","
                        "\"duration_minutes\":60,\"time_zone\":\"UTC\"}}",
                        ALICE, &out),
          I);
  CHECK_MESSAGE_HAS("`funday`");
  REFUSED(dg_freeze_add(e, "japm",
                        "{\"name\":\"x\",\"schedule\":{\"type\":\"weekly\",\"days\":[\"mon\"],\"start_time\":\"10:00\","
                        "\"duration_minutes\":60,\"time_zone\":\"Mars/Olympus\"}}",
                        ALICE, &out),
          I);
  CHECK_MESSAGE_HAS("`Mars/Olympus`");
  REFUSED(dg_freeze_add(e, "japm",
                        "{\"name\":\"x\",\"schedule\":{\"type\":\"one_off\",\"start\":\"2026-03-02T12:00:00Z\","
                        "\"end\":\"2026-03-02T10:00:00Z\"}}",
                        ALICE, &out),
          I);
  REFUSED(dg_freeze_add(e, "japm", "{\"name\":\"x\",\"nme\":\"y\",\"schedule\":{\"type\":\"one_off\",\"start\":\"2026-03-02T10:00:00Z\","
                                   "\"end\":\"2026-03-02T12:00:00Z\"}}",
                        ALICE, &out),
          I);
  CHECK_MESSAGE_HAS("unknown field `nme`");
  REFUSED(dg_freeze_add(e, "japm", one_off, DAVE, &out), DG_ERROR_FORBIDDEN);
  REFUSED(dg_freeze_add(e, "nope", one_off, ALICE, &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_freeze_add(e, "japm", "{\"environment\":\"nowhere\",\"name\":\"x\",\"schedule\":{\"type\":\"one_off\","
                                   "\"start\":\"2026-03-02T10:00:00Z\",\"end\":\"2026-03-02T12:00:00Z\"}}",
                        ALICE, &out),
          DG_ERROR_NOT_FOUND);

  CHECK_OK(dg_freeze_add(e, "japm", one_off, ALICE, &out));
  json_t *w = take_json(out);
  CHECK_STREQ(jstr(w, "name"), "launch");
  CHECK_STREQ(jstr(w, "environment"), "development");
  CHECK_STREQ(jstr(w, "schedule.type"), "one_off");
  CHECK_STREQ(jstr(w, "created_by"), "alice");
  char *freeze_id = strdup(jstr(w, "id"));
  json_decref(w);
  /* A weekly window for the whole project (no environment), Mondays 10:00 Berlin. */
  CHECK_OK(dg_freeze_add(e, "japm",
                         "{\"name\":\"standup\",\"schedule\":{\"type\":\"weekly\",\"days\":[\"mon\"],\"start_time\":\"10:00\","
                         "\"duration_minutes\":30,\"time_zone\":\"Europe/Berlin\"}}",
                         CAROL, &out));
  w = take_json(out);
  CHECK(json_is_null(jpath(w, "environment")));
  char *weekly_id = strdup(jstr(w, "id"));
  json_decref(w);

  /* Listing: every window, or those that apply to one environment. */
  w = ok_json(dg_freeze_list(e, "japm", NULL, &out), &out);
  CHECK(json_array_size(w) == 2);
  json_decref(w);
  w = ok_json(dg_freeze_list(e, "japm", "staging", &out), &out);
  CHECK(json_array_size(w) == 1 && strcmp(jstr(w, "0.id"), weekly_id) == 0);
  json_decref(w);
  REFUSED(dg_freeze_list(e, "japm", "nowhere", &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_freeze_list(e, "nope", NULL, &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_freeze_list(e, "japm", "stag\xc3", &out), I);
  CHECK_MESSAGE_HAS("`environment` is not valid utf-8");
  REFUSED(dg_freeze_list(NULL, "japm", NULL, &out), I);

  /* Active at an instant: 10:45 UTC is inside the one-off, Monday 09:15 UTC inside the weekly. */
  w = ok_json(dg_freezes_active(e, "japm", "development", "2026-03-02T10:45:00Z", &out), &out);
  CHECK(json_array_size(w) == 1 && strcmp(jstr(w, "0.id"), freeze_id) == 0);
  json_decref(w);
  w = ok_json(dg_freezes_active(e, "japm", "staging", "2026-03-02T09:15:00Z", &out), &out);
  CHECK(json_array_size(w) == 1 && strcmp(jstr(w, "0.id"), weekly_id) == 0);
  json_decref(w);
  w = ok_json(dg_freezes_active(e, "japm", "development", "2026-03-02T12:00:00+00:00", &out), &out);
  CHECK(json_array_size(w) == 0);
  json_decref(w);
  REFUSED(dg_freezes_active(e, "japm", "development", "monday", &out), I);
  CHECK_MESSAGE_HAS("`at` must be an RFC 3339 time");
  REFUSED(dg_freezes_active(e, "japm", "development", NULL, &out), I);
  REFUSED(dg_freezes_active(e, "japm", "nowhere", "2026-03-02T10:45:00Z", &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_freezes_active(NULL, "japm", "development", "2026-03-02T10:45:00Z", &out), I);

  /* The clock (10:30) is inside the one-off window: executing into development is refused with
   * environment_frozen, a developer cannot override it, an admin can with a reason. */
  char *id = request(e, "development", "frozen", "[" ITEM("prompt_version", "chatbot", "1.1.0") "]", DAVE);
  REFUSED(dg_deployment_execute(e, "japm", id, DAVE, NULL, NULL, NULL, &out), DG_ERROR_VALIDATION_FAILED);
  json_t *f = findings_of_last_error();
  CHECK_STREQ(jstr(f, "errors.0.code"), "environment_frozen");
  json_decref(f);
  REFUSED(dg_deployment_execute(e, "japm", id, DAVE, "{\"freeze_override_reason\":\"hotfix\"}", NULL, NULL, &out), DG_ERROR_FORBIDDEN);
  REFUSED(dg_deployment_execute(e, "japm", id, ALICE, "{\"freeze_overide_reason\":\"hotfix\"}", NULL, NULL, &out), I);
  CHECK_MESSAGE_HAS("unknown field `freeze_overide_reason`");
  CHECK_OK(dg_deployment_execute(e, "japm", id, ALICE, "{\"freeze_override_reason\":\"hotfix\"}", NULL, NULL, &out));
  check_status_of(out, "deployed");
  free(id);

  /* Removal: admins only, a reason, a known id. */
  REFUSED(dg_freeze_remove(e, "japm", freeze_id, DAVE, "over", &out), DG_ERROR_FORBIDDEN);
  REFUSED(dg_freeze_remove(e, "japm", freeze_id, ALICE, "  ", &out), I);
  CHECK_MESSAGE_HAS("a reason is required");
  REFUSED(dg_freeze_remove(e, "japm", freeze_id, ALICE, NULL, &out), I);
  CHECK_MESSAGE_HAS("`reason` must not be null");
  REFUSED(dg_freeze_remove(e, "japm", NULL, ALICE, "over", &out), I);
  CHECK_MESSAGE_HAS("`freeze_id` must not be null");
  REFUSED(dg_freeze_remove(e, "japm", "no-such-window", ALICE, "over", &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_freeze_remove(e, "japm", freeze_id, ALICE, "over \xff", &out), I);
  REFUSED(dg_freeze_remove(NULL, "japm", freeze_id, ALICE, "over", &out), I);
  w = ok_json(dg_freeze_remove(e, "japm", freeze_id, ALICE, "launch is over", &out), &out);
  CHECK_STREQ(jstr(w, "id"), freeze_id);
  json_decref(w);
  REFUSED(dg_freeze_remove(e, "japm", freeze_id, ALICE, "again", &out), DG_ERROR_NOT_FOUND);
  CHECK_OK_DISCARD(dg_freeze_remove(e, "japm", weekly_id, ALICE, "standup moved", &out));
  w = ok_json(dg_freeze_list(e, "japm", NULL, &out), &out);
  CHECK(json_array_size(w) == 0);
  json_decref(w);
  free(freeze_id);
  free(weekly_id);
}

static void test_two_phase(DgEngine *e, Clock *clock) {
  char *out = NULL;
  int64_t seq = -1;
  char *id = request(e, "development", "pipeline", "[" ITEM("prompt_version", "chatbot", "1.2.0") "]", DAVE);
  /* Nothing runs yet: no log lines. */
  CHECK_STATUS(dg_deployment_log(e, "japm", id, "build", "too early", &seq), DG_ERROR_INVALID_TRANSITION);
  CHECK(seq == -1);

  REFUSED(dg_deployment_begin(NULL, "japm", id, DAVE, NULL, &out), I);
  REFUSED(dg_deployment_begin(e, "japm", NULL, DAVE, NULL, &out), I);
  CHECK_MESSAGE_HAS("`deployment_id` must not be null");
  REFUSED(dg_deployment_begin(e, "japm", id, DAVE, "{\"break_glass\":\"x\"}", &out), I);
  CHECK_MESSAGE_HAS("unknown field `break_glass`");
  REFUSED(dg_deployment_begin(e, "japm", id, "{", NULL, &out), I);
  REFUSED(dg_deployment_begin(e, "japm", "no-such-deployment", DAVE, NULL, &out), DG_ERROR_NOT_FOUND);
  CHECK_STATUS(dg_deployment_begin(e, "japm", id, DAVE, NULL, NULL), I);
  json_t *d = ok_json(dg_deployment_begin(e, "japm", id, DAVE, "{}", &out), &out);
  CHECK_STREQ(jstr(d, "status"), "deploying");
  CHECK_STREQ(jstr(d, "executed_by"), "dave");
  CHECK_STREQ(jstr(d, "lease_expires_at"), "2026-03-02T11:30:00Z");
  json_decref(d);
  REFUSED(dg_deployment_begin(e, "japm", id, DAVE, NULL, &out), DG_ERROR_INVALID_TRANSITION);

  /* Stage logs: a cursor per line, read back in pages. */
  CHECK_OK(dg_deployment_log(e, "japm", id, "build", "compiling", &seq));
  int64_t first = seq;
  CHECK(first > 0);
  CHECK_OK(dg_deployment_log(e, "japm", id, "upload", "uploaded bundle.tar.gz", &seq));
  CHECK(seq > first);
  CHECK_OK(dg_deployment_log(e, "japm", id, "deploy", "caf\xc3\xa9 \xe2\x9c\x93", &seq));
  int64_t before = seq;
  CHECK_STATUS(dg_deployment_log(e, "japm", id, "", "x", &seq), I);
  CHECK_STATUS(dg_deployment_log(e, "japm", id, "build", NULL, &seq), I);
  CHECK_MESSAGE_HAS("`line` must not be null");
  CHECK_STATUS(dg_deployment_log(e, "japm", id, "bu\xffild", "x", &seq), I);
  CHECK_MESSAGE_HAS("`stage` is not valid utf-8");
  CHECK_STATUS(dg_deployment_log(e, "japm", id, "build", "x", NULL), I);
  CHECK_MESSAGE_HAS("`out_seq` must not be null");
  CHECK_STATUS(dg_deployment_log(NULL, "japm", id, "build", "x", &seq), I);
  CHECK_STATUS(dg_deployment_log(e, "japm", "no-such-deployment", "build", "x", &seq), DG_ERROR_NOT_FOUND);
  CHECK(seq == before);

  uint32_t one = 1;
  json_t *page = ok_json(dg_deployment_logs(e, "japm", id, 0, &one, &out), &out);
  CHECK(json_array_size(jpath(page, "lines")) == 1);
  CHECK_STREQ(jstr(page, "lines.0.stage"), "build");
  CHECK_STREQ(jstr(page, "lines.0.line"), "compiling");
  CHECK(json_integer_value(jpath(page, "next_cursor")) == first);
  CHECK(json_is_true(jpath(page, "open")) && json_integer_value(jpath(page, "dropped")) == 0);
  json_decref(page);
  page = ok_json(dg_deployment_logs(e, "japm", id, first, NULL, &out), &out);
  CHECK(json_array_size(jpath(page, "lines")) == 2);
  CHECK_STREQ(jstr(page, "lines.1.line"), "caf\xc3\xa9 \xe2\x9c\x93");
  json_decref(page);
  REFUSED(dg_deployment_logs(e, "japm", id, -1, NULL, &out), I);
  CHECK_MESSAGE_HAS("after_seq must not be negative");
  REFUSED(dg_deployment_logs(e, "japm", "no-such-deployment", 0, NULL, &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_deployment_logs(e, NULL, id, 0, NULL, &out), I);
  REFUSED(dg_deployment_logs(NULL, "japm", id, 0, NULL, &out), I);

  /* Heartbeats: the executor (or an admin) extends the lease from now. */
  clock->now += 1800LL * 1000000;
  REFUSED(dg_deployment_heartbeat(e, "japm", id, LENA, &out), DG_ERROR_FORBIDDEN);
  REFUSED(dg_deployment_heartbeat(e, "japm", id, NULL, &out), I);
  REFUSED(dg_deployment_heartbeat(e, "japm", "no-such-deployment", DAVE, &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_deployment_heartbeat(NULL, "japm", id, DAVE, &out), I);
  d = ok_json(dg_deployment_heartbeat(e, "japm", id, DAVE, &out), &out);
  CHECK_STREQ(jstr(d, "lease_expires_at"), "2026-03-02T12:00:00Z");
  json_decref(d);
  CHECK_OK_DISCARD(dg_deployment_heartbeat(e, "japm", id, ALICE, &out));

  /* Completion: the outcome is a tagged JSON object. */
  REFUSED(dg_deployment_complete(e, "japm", id, DAVE, "{\"outcome\":\"maybe\"}", &out), I);
  CHECK_MESSAGE_HAS("`maybe`");
  REFUSED(dg_deployment_complete(e, "japm", id, DAVE, "{\"outcome\":\"failure\",\"error\":\"\"}", &out), I);
  REFUSED(dg_deployment_complete(e, "japm", id, DAVE, "{\"outcome\":\"failure\",\"error\":\"x\",\"failed_item\":3}", &out), I);
  CHECK_MESSAGE_HAS("out of range");
  REFUSED(dg_deployment_complete(e, "japm", id, DAVE, NULL, &out), I);
  CHECK_MESSAGE_HAS("`completion` must not be null");
  REFUSED(dg_deployment_complete(e, "japm", id, DAVE, "{\"outcome\":\"success\"", &out), I);
  REFUSED(dg_deployment_complete(e, "japm", id, LENA, "{\"outcome\":\"success\"}", &out), DG_ERROR_FORBIDDEN);
  REFUSED(dg_deployment_complete(e, "japm", "no-such-deployment", DAVE, "{\"outcome\":\"success\"}", &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_deployment_complete(NULL, "japm", id, DAVE, "{\"outcome\":\"success\"}", &out), I);
  d = ok_json(dg_deployment_complete(e, "japm", id, DAVE, "{\"outcome\":\"success\"}", &out), &out);
  CHECK_STREQ(jstr(d, "status"), "deployed");
  json_decref(d);
  char *tag = NULL;
  bool found = false;
  CHECK_OK(dg_active_version(e, "japm", "development", "prompt_version", "chatbot", &tag, NULL, &found));
  CHECK(found);
  CHECK_STREQ(tag, "1.2.0");
  dg_string_free(tag);
  page = ok_json(dg_deployment_logs(e, "japm", id, 0, NULL, &out), &out);
  CHECK(json_is_false(jpath(page, "open")) && json_array_size(jpath(page, "lines")) == 3);
  json_decref(page);
  CHECK_STATUS(dg_deployment_log(e, "japm", id, "verify", "late", &seq), DG_ERROR_INVALID_TRANSITION);
  REFUSED(dg_deployment_heartbeat(e, "japm", id, DAVE, &out), DG_ERROR_INVALID_TRANSITION);
  REFUSED(dg_deployment_complete(e, "japm", id, DAVE, "{\"outcome\":\"success\"}", &out), DG_ERROR_INVALID_TRANSITION);
  free(id);

  /* A failed pipeline leaves the active state as it was. */
  id = request(e, "development", "pipeline 2", "[" ITEM("prompt_version", "chatbot", "1.1.0") "]", DAVE);
  CHECK_OK_DISCARD(dg_deployment_begin(e, "japm", id, DAVE, NULL, &out));
  d = ok_json(dg_deployment_complete(e, "japm", id, DAVE, "{\"outcome\":\"failure\",\"error\":\"smoke test failed\"}", &out), &out);
  CHECK_STREQ(jstr(d, "status"), "failed");
  CHECK_STREQ(jstr(d, "items.0.error_message"), "smoke test failed");
  json_decref(d);
  CHECK_OK(dg_active_version(e, "japm", "development", "prompt_version", "chatbot", &tag, NULL, &found));
  CHECK_STREQ(tag, "1.2.0");
  dg_string_free(tag);
  free(id);
}

static void test_resume(DgEngine *e) {
  char *out = NULL;
  CHECK_OK_DISCARD(dg_policy_set(e, "japm", "development", "{\"on_failure\":\"pause\"}", ALICE, &out));
  const char *items = "[" ITEM("prompt_asset_version", "templates", "2.0.0") "," ITEM("ai_model", "gpt-x", "1.0.0") "]";
  char *id = request(e, "development", "guided", items, DAVE);
  Recorder r = {"gpt-x", 0, 0, ""};
  json_t *d = ok_json(dg_deployment_execute(e, "japm", id, DAVE, NULL, record_executor, &r, &out), &out);
  CHECK_STREQ(jstr(d, "status"), "paused");
  CHECK_STREQ(jstr(d, "items.0.status"), "deployed");
  CHECK_STREQ(jstr(d, "items.1.status"), "failed");
  CHECK_STREQ(jstr(d, "items.1.error_message"), "host refused gpt-x");
  json_decref(d);
  CHECK(r.calls == 2 && r.reverts == 0);

  /* Bad decisions and arguments change nothing. */
  REFUSED(dg_deployment_resume(e, "japm", id, DAVE, "later", NULL, record_executor, &r, &out), I);
  CHECK_MESSAGE_HAS("`later`");
  REFUSED(dg_deployment_resume(e, "japm", id, DAVE, "", NULL, record_executor, &r, &out), I);
  REFUSED(dg_deployment_resume(e, "japm", id, DAVE, "RETRY", NULL, record_executor, &r, &out), I);
  REFUSED(dg_deployment_resume(e, "japm", id, DAVE, NULL, NULL, record_executor, &r, &out), I);
  CHECK_MESSAGE_HAS("`decision` must not be null");
  REFUSED(dg_deployment_resume(e, "japm", id, DAVE, "re\xfftry", NULL, record_executor, &r, &out), I);
  CHECK_MESSAGE_HAS("`decision` is not valid utf-8");
  REFUSED(dg_deployment_resume(e, "japm", id, DAVE, "skip", NULL, record_executor, &r, &out), I);
  CHECK_MESSAGE_HAS("a reason is required");
  REFUSED(dg_deployment_resume(e, "japm", id, DAVE, "abort", " ", record_executor, &r, &out), I);
  REFUSED(dg_deployment_resume(e, "japm", id, DAVE, "skip", "ok \xff", record_executor, &r, &out), I);
  REFUSED(dg_deployment_resume(e, "japm", id, "{\"id\":1}", "retry", NULL, record_executor, &r, &out), I);
  REFUSED(dg_deployment_resume(e, "japm", "no-such-deployment", DAVE, "retry", NULL, record_executor, &r, &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_deployment_resume(NULL, "japm", id, DAVE, "retry", NULL, record_executor, &r, &out), I);
  CHECK_STATUS(dg_deployment_resume(e, "japm", id, DAVE, "retry", NULL, record_executor, &r, NULL), I);
  CHECK(r.calls == 2);

  /* Retry through the callback: it fails again (paused), then succeeds. */
  d = ok_json(dg_deployment_resume(e, "japm", id, DAVE, "retry", NULL, record_executor, &r, &out), &out);
  CHECK_STREQ(jstr(d, "status"), "paused");
  json_decref(d);
  CHECK(r.calls == 3);
  r.fail_entity = NULL;
  d = ok_json(dg_deployment_resume(e, "japm", id, DAVE, "retry", "host fixed", record_executor, &r, &out), &out);
  CHECK_STREQ(jstr(d, "status"), "deployed");
  json_decref(d);
  CHECK(r.calls == 4 && r.reverts == 0);
  CHECK_STREQ(r.last, "gpt-x@1.0.0");
  REFUSED(dg_deployment_resume(e, "japm", id, DAVE, "retry", NULL, record_executor, &r, &out), DG_ERROR_INVALID_TRANSITION);
  free(id);

  /* Skip leaves the failed item out; abort reverts through the executor (or, NULL, moves only
   * the active state). */
  id = request(e, "development", "skip", "[" ITEM("prompt_version", "chatbot", "1.1.0") "," ITEM("prompt_asset_version", "templates", "2.1.0") "]",
               DAVE);
  r = (Recorder){"chatbot", 0, 0, ""};
  CHECK_OK(dg_deployment_execute(e, "japm", id, DAVE, NULL, record_executor, &r, &out));
  check_status_of(out, "paused");
  d = ok_json(dg_deployment_resume(e, "japm", id, DAVE, "skip", "chatbot stays", record_executor, &r, &out), &out);
  CHECK_STREQ(jstr(d, "status"), "deployed");
  CHECK_STREQ(jstr(d, "items.0.status"), "skipped");
  json_decref(d);
  CHECK_STREQ(r.last, "templates@2.1.0");
  free(id);
  id = request(e, "development", "abort", "[" ITEM("prompt_asset_version", "templates", "2.0.0") "," ITEM("prompt_version", "chatbot", "1.1.0") "]",
               DAVE);
  CHECK_OK(dg_deployment_execute(e, "japm", id, DAVE, NULL, record_executor, &r, &out));
  check_status_of(out, "paused");
  d = ok_json(dg_deployment_resume(e, "japm", id, DAVE, "abort", "giving up", NULL, NULL, &out), &out);
  CHECK_STREQ(jstr(d, "status"), "failed");
  json_decref(d);
  char *tag = NULL;
  bool found = false;
  CHECK_OK(dg_active_version(e, "japm", "development", "prompt_asset_version", "templates", &tag, NULL, &found));
  CHECK_STREQ(tag, "2.1.0");
  dg_string_free(tag);
  free(id);
  CHECK_OK_DISCARD(dg_policy_set(e, "japm", "development", "{}", ALICE, &out));
}

static void test_health(DgEngine *e) {
  char *out = NULL;
  CHECK_OK_DISCARD(dg_policy_set(e, "japm", "development", "{\"health\":{\"max_consecutive_failures\":1}}", ALICE, &out));
  /* Live now: chatbot 1.2.0 (two-phase). Deploy 1.1.0 over it, then report on it. */
  char *id = request(e, "development", "health", "[" ITEM("prompt_version", "chatbot", "1.1.0") "]", DAVE);
  CHECK_OK(dg_deployment_execute(e, "japm", id, DAVE, NULL, NULL, NULL, &out));
  check_status_of(out, "deployed");
  Recorder r = {NULL, 0, 0, ""};

  REFUSED(dg_deployment_health_report(e, "japm", id, DAVE, "{\"ok\":\"yes\"}", record_executor, &r, &out), I);
  CHECK_MESSAGE_HAS("invalid json in `report`");
  REFUSED(dg_deployment_health_report(e, "japm", id, DAVE, "{\"ok\":true,\"latency\":3}", record_executor, &r, &out), I);
  CHECK_MESSAGE_HAS("unknown field `latency`");
  REFUSED(dg_deployment_health_report(e, "japm", id, DAVE, "{\"ok\":true,\"error_rate\":2}", record_executor, &r, &out), I);
  CHECK_MESSAGE_HAS("error_rate must be between 0 and 1");
  REFUSED(dg_deployment_health_report(e, "japm", id, DAVE, "{\"ok\":true,\"p95_latency_ms\":-1}", record_executor, &r, &out), I);
  REFUSED(dg_deployment_health_report(e, "japm", id, DAVE, NULL, record_executor, &r, &out), I);
  CHECK_MESSAGE_HAS("`report` must not be null");
  REFUSED(dg_deployment_health_report(e, "japm", id, NULL, "{\"ok\":true}", record_executor, &r, &out), I);
  REFUSED(dg_deployment_health_report(e, "ja\xffpm", id, DAVE, "{\"ok\":true}", record_executor, &r, &out), I);
  REFUSED(dg_deployment_health_report(e, "japm", "no-such-deployment", DAVE, "{\"ok\":true}", record_executor, &r, &out),
          DG_ERROR_NOT_FOUND);
  REFUSED(dg_deployment_health_report(NULL, "japm", id, DAVE, "{\"ok\":true}", record_executor, &r, &out), I);
  CHECK_STATUS(dg_deployment_health_report(e, "japm", id, DAVE, "{\"ok\":true}", record_executor, &r, NULL), I);
  CHECK(r.calls == 0);

  json_t *h = ok_json(dg_deployment_health_report(e, "japm", id, DAVE, "{\"ok\":true,\"p95_latency_ms\":100.0}", record_executor, &r, &out), &out);
  CHECK_STREQ(jstr(h, "health"), "healthy");
  CHECK(json_is_null(jpath(h, "rollback")) && json_is_null(jpath(h, "rollback_error")));
  CHECK_STREQ(jstr(h, "check.reported_by"), "dave");
  json_decref(h);
  h = ok_json(dg_deployment_health_report(e, "japm", id, DAVE, "{\"ok\":false}", record_executor, &r, &out), &out);
  CHECK_STREQ(jstr(h, "health"), "degraded");
  CHECK(json_integer_value(jpath(h, "check.consecutive_failures")) == 1 && json_is_null(jpath(h, "rollback")));
  json_decref(h);
  CHECK(r.calls == 0);
  /* The second failure in a row crosses the threshold: automatic rollback through the callback. */
  h = ok_json(dg_deployment_health_report(e, "japm", id, DAVE, "{\"ok\":false,\"error_rate\":0.5}", record_executor, &r, &out), &out);
  CHECK_STREQ(jstr(h, "health"), "down");
  CHECK(json_array_size(jpath(h, "check.breaches")) == 2);
  CHECK_STREQ(jstr(h, "rollback.kind"), "rollback");
  CHECK_STREQ(jstr(h, "rollback.status"), "deployed");
  CHECK_STREQ(jstr(h, "rollback.requested_by"), "deploygov:health");
  json_decref(h);
  CHECK(r.calls == 1);
  CHECK_STREQ(r.last, "chatbot@1.2.0");
  char *s = NULL;
  CHECK_OK(dg_deployment_get(e, "japm", id, &s));
  check_status_of(s, "rolled_back");
  REFUSED(dg_deployment_health_report(e, "japm", id, DAVE, "{\"ok\":true}", record_executor, &r, &out), DG_ERROR_INVALID_TRANSITION);

  json_t *checks = ok_json(dg_deployment_health_checks(e, "japm", id, &out), &out);
  CHECK(json_array_size(checks) == 3);
  CHECK(json_is_true(jpath(checks, "0.report.ok")));
  CHECK(json_integer_value(jpath(checks, "2.consecutive_failures")) == 2);
  json_decref(checks);
  REFUSED(dg_deployment_health_checks(e, "japm", "no-such-deployment", &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_deployment_health_checks(e, "japm", NULL, &out), I);
  REFUSED(dg_deployment_health_checks(e, "nope", id, &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_deployment_health_checks(NULL, "japm", id, &out), I);
  CHECK_STATUS(dg_deployment_health_checks(e, "japm", id, NULL), I);
  free(id);
}

int main(void) {
  Clock clock = {NOW_SECONDS * 1000000};
  DgEngine *e = NULL;
  CHECK_OK(dg_engine_open_with_clock(":memory:", clock_now, &clock, NULL, &e));
  setup_japm(e);
  test_freezes(e);
  test_two_phase(e, &clock);
  test_resume(e);
  test_health(e);
  char *out = NULL;
  CHECK_OK(dg_audit_verify(e, &out));
  dg_string_free(out);
  dg_engine_free(e);
  printf("test_operations: ok\n");
  return 0;
}
