/* Bad input: NULL handles and pointers, invalid UTF-8, malformed JSON, unknown enum strings, ids
 * that do not exist, zero-length and huge strings, timestamps that are not RFC 3339 (arguments and
 * schedules), unauthorized quarantine. Each gets a clear status and message, never a
 * crash, and nothing is written on failure (neither out-pointers nor the store). */
#include <stdbool.h>

#include "fixture.h"

#define SENTINEL ((char *)&sentinel_byte)
static char sentinel_byte;

static void ignore_event(void *user_data, const char *event_json) {
  (void)user_data;
  (void)event_json;
}

static void count_free(void *user_data) { (*(int *)user_data)++; }

/* Expects `call` (which writes through `out`) to fail with `status` and leave `out` untouched. */
#define REFUSED(call, status)              \
  do {                                     \
    out = SENTINEL;                        \
    CHECK_STATUS(call, status);            \
    CHECK(out == SENTINEL);                \
    CHECK(dg_last_error_code() == status); \
  } while (0)

static void test_null_engine(void) {
  char *out;
  const DgEngine *n = NULL;
  const int32_t I = DG_ERROR_INVALID_INPUT;
  REFUSED(dg_project_create(n, "p", "t", "n", ALICE, &out), I);
  CHECK_MESSAGE_HAS("`engine` must not be null");
  REFUSED(dg_project_get(n, "p", &out), I);
  REFUSED(dg_environment_create(n, "p", "{\"name\":\"x\"}", ALICE, &out), I);
  REFUSED(dg_environment_get(n, "p", "x", &out), I);
  REFUSED(dg_environment_list(n, "p", &out), I);
  REFUSED(dg_policy_set(n, "p", "x", "{}", ALICE, &out), I);
  REFUSED(dg_variables_set(n, "p", "x", "[]", ALICE, &out), I);
  REFUSED(dg_health_set(n, "p", "x", "down", ALICE, &out), I);
  REFUSED(dg_version_register(n, "p", "{}", ALICE, &out), I);
  REFUSED(dg_version_list(n, "p", "t", "i", &out), I);
  REFUSED(dg_deployment_request(n, "p", "{}", ALICE, &out), I);
  REFUSED(dg_deployment_approve(n, "p", "d", ALICE, NULL, &out), I);
  REFUSED(dg_deployment_reject(n, "p", "d", ALICE, "r", &out), I);
  REFUSED(dg_deployment_cancel(n, "p", "d", ALICE, NULL, &out), I);
  REFUSED(dg_deployment_execute(n, "p", "d", ALICE, NULL, NULL, NULL, &out), I);
  REFUSED(dg_deployment_rollback(n, "p", "d", ALICE, "{\"reason\":\"r\"}", NULL, NULL, &out), I);
  REFUSED(dg_deployment_check(n, "p", "d", ALICE, "approve", &out), I);
  REFUSED(dg_deployment_get(n, "p", "d", &out), I);
  REFUSED(dg_deployment_list(n, "p", NULL, &out), I);
  REFUSED(dg_active_state(n, "p", "x", &out), I);
  REFUSED(dg_entity_history(n, "p", "t", "i", NULL, &out), I);
  REFUSED(dg_environments_compare(n, "p", "a", "b", &out), I);
  REFUSED(dg_pending_approvals(n, "p", ALICE, &out), I);
  REFUSED(dg_audit_log(n, "p", NULL, 0, NULL, &out), I);
  REFUSED(dg_audit_verify(n, &out), I);
  REFUSED(dg_deployment_promote(n, "p", "d", "x", ALICE, &out), I);
  REFUSED(dg_lease_release(n, "p", "d", ALICE, "r", &out), I);
  REFUSED(dg_sweep(n, &out), I);
  CHECK_MESSAGE_HAS("`engine` must not be null");
  REFUSED(dg_version_quarantine(n, "p", "t", "i", "v", ALICE, "r", &out), I);
  CHECK_MESSAGE_HAS("`engine` must not be null");
  REFUSED(dg_version_release(n, "p", "t", "i", "v", ALICE, "r", &out), I);
  REFUSED(dg_deployments_due(n, "p", &out), I);
  CHECK_MESSAGE_HAS("`engine` must not be null");
  REFUSED(dg_active_state_at(n, "p", "x", "2026-03-01T09:00:00Z", &out), I);
  REFUSED(dg_deployments_live_at(n, "p", "x", "2026-03-01T09:00:00Z", &out), I);
  bool found = true;
  REFUSED(dg_active_version(n, "p", "x", "t", "i", &out, NULL, &found), I);
  CHECK(found);
  REFUSED(dg_active_version_tag(n, "p", "x", "t", "i", &out), I);
  CHECK_MESSAGE_HAS("`engine` must not be null");
  CHECK_STATUS(dg_validator_unregister(n, "v", NULL), I);
  REFUSED(dg_events_after(n, NULL, 0, NULL, &out), I);
  CHECK_STATUS(dg_event_signing_key_set(n, NULL, 0), I);
  CHECK_MESSAGE_HAS("`engine` must not be null");
  int freed = 0;
  CHECK_STATUS(dg_subscriber_register(n, "s", ignore_event, &freed, count_free), I);
  CHECK(freed == 1); /* ownership passed even though registration failed */
  CHECK_STATUS(dg_subscriber_unregister(n, "s", NULL), I);
  CHECK_STATUS(dg_engine_close(n), I);
}

static void test_null_arguments(DgEngine *e) {
  char *out;
  const int32_t I = DG_ERROR_INVALID_INPUT;
  REFUSED(dg_engine_open(NULL, (DgEngine **)&out), I);
  CHECK_MESSAGE_HAS("`path` must not be null");
  CHECK_STATUS(dg_engine_open(":memory:", NULL), I);
  CHECK_MESSAGE_HAS("`out` must not be null");
  REFUSED(dg_project_get(e, NULL, &out), I);
  CHECK_MESSAGE_HAS("`project` must not be null");
  REFUSED(dg_project_create(e, "p", NULL, "n", ALICE, &out), I);
  CHECK_MESSAGE_HAS("`tenant` must not be null");
  REFUSED(dg_project_create(e, "p", "t", "n", NULL, &out), I);
  CHECK_MESSAGE_HAS("`actor` must not be null");
  REFUSED(dg_deployment_request(e, "japm", NULL, ALICE, &out), I);
  REFUSED(dg_deployment_reject(e, "japm", "d", BOB, NULL, &out), I);
  REFUSED(dg_deployment_rollback(e, "japm", "d", BOB, NULL, NULL, NULL, &out), I);
  REFUSED(dg_deployment_check(e, "japm", "d", BOB, NULL, &out), I);
  REFUSED(dg_health_set(e, "japm", "staging", NULL, ALICE, &out), I);
  REFUSED(dg_environments_compare(e, "japm", "staging", NULL, &out), I);
  CHECK_STATUS(dg_events_after(e, "japm", 0, NULL, NULL), I);
  CHECK_MESSAGE_HAS("`out` must not be null");
  REFUSED(dg_deployment_promote(e, NULL, "d", "production", ALICE, &out), I);
  CHECK_MESSAGE_HAS("`project` must not be null");
  REFUSED(dg_deployment_promote(e, "japm", NULL, "production", ALICE, &out), I);
  CHECK_MESSAGE_HAS("`deployment_id` must not be null");
  REFUSED(dg_deployment_promote(e, "japm", "d", NULL, ALICE, &out), I);
  CHECK_MESSAGE_HAS("`to_environment` must not be null");
  REFUSED(dg_deployment_promote(e, "japm", "d", "production", NULL, &out), I);
  CHECK_MESSAGE_HAS("`actor` must not be null");
  CHECK_STATUS(dg_deployment_promote(e, "japm", "d", "production", ALICE, NULL), I);
  CHECK_MESSAGE_HAS("`out` must not be null");
  REFUSED(dg_lease_release(e, "japm", "d", ALICE, NULL, &out), I);
  CHECK_MESSAGE_HAS("`reason` must not be null");
  REFUSED(dg_lease_release(e, "japm", "d", NULL, "r", &out), I);
  CHECK_MESSAGE_HAS("`actor` must not be null");
  REFUSED(dg_lease_release(e, "japm", NULL, ALICE, "r", &out), I);
  CHECK_MESSAGE_HAS("`deployment_id` must not be null");
  CHECK_STATUS(dg_lease_release(e, "japm", "d", ALICE, "r", NULL), I);
  CHECK_STATUS(dg_sweep(e, NULL), I);
  CHECK_MESSAGE_HAS("`out` must not be null");
  {
    /* Each argument of the quarantine functions in turn, named in the message. */
    const char *args[] = {"japm", "prompt_version", "chatbot", "1.1.0", ALICE, "leaks pii"};
    const char *names[] = {"`project`", "`entity_type`", "`entity_id`", "`version_tag`", "`actor`", "`reason`"};
    for (int i = 0; i < 6; i++) {
      const char *a[6];
      for (int k = 0; k < 6; k++) a[k] = k == i ? NULL : args[k];
      REFUSED(dg_version_quarantine(e, a[0], a[1], a[2], a[3], a[4], a[5], &out), I);
      CHECK_MESSAGE_HAS(names[i]);
      CHECK_MESSAGE_HAS("must not be null");
      REFUSED(dg_version_release(e, a[0], a[1], a[2], a[3], a[4], a[5], &out), I);
      CHECK_MESSAGE_HAS(names[i]);
    }
    CHECK_STATUS(dg_version_quarantine(e, "japm", "prompt_version", "chatbot", "1.1.0", ALICE, "leaks pii", NULL), I);
    CHECK_MESSAGE_HAS("`out` must not be null");
    CHECK_STATUS(dg_version_release(e, "japm", "prompt_version", "chatbot", "1.1.0", ALICE, "leaks pii", NULL), I);
    CHECK_MESSAGE_HAS("`out` must not be null");
  }
  REFUSED(dg_deployments_due(e, NULL, &out), I);
  CHECK_MESSAGE_HAS("`project` must not be null");
  CHECK_STATUS(dg_deployments_due(e, "japm", NULL), I);
  CHECK_MESSAGE_HAS("`out` must not be null");
  REFUSED(dg_active_state_at(e, "japm", "staging", NULL, &out), I);
  CHECK_MESSAGE_HAS("`at` must not be null");
  REFUSED(dg_active_state_at(e, "japm", NULL, "2026-03-01T09:00:00Z", &out), I);
  CHECK_MESSAGE_HAS("`environment` must not be null");
  CHECK_STATUS(dg_active_state_at(e, "japm", "staging", "2026-03-01T09:00:00Z", NULL), I);
  REFUSED(dg_deployments_live_at(e, NULL, "staging", "2026-03-01T09:00:00Z", &out), I);
  CHECK_MESSAGE_HAS("`project` must not be null");
  REFUSED(dg_deployments_live_at(e, "japm", "staging", NULL, &out), I);
  CHECK_MESSAGE_HAS("`at` must not be null");
  CHECK_STATUS(dg_deployments_live_at(e, "japm", "staging", "2026-03-01T09:00:00Z", NULL), I);
  int freed = 0;
  CHECK_STATUS(dg_subscriber_register(e, NULL, ignore_event, &freed, count_free), I);
  CHECK_MESSAGE_HAS("`name` must not be null");
  CHECK_STATUS(dg_subscriber_register(e, "s", NULL, &freed, count_free), I);
  CHECK_MESSAGE_HAS("`on_event` must not be null");
  CHECK(freed == 2);
  bool existed = true;
  CHECK_STATUS(dg_subscriber_unregister(e, NULL, &existed), I);
  CHECK(existed); /* not written on failure */
  /* A NULL key with a length is a caller bug, not "clear the key". */
  CHECK_STATUS(dg_event_signing_key_set(e, NULL, 5), I);
  CHECK_MESSAGE_HAS("`key` is null but `len` is `5`");

  /* A NULL out-pointer is refused before anything changes in the store. */
  CHECK_STATUS(dg_project_create(e, "ghost", "acme", "Ghost", ALICE, NULL), I);
  REFUSED(dg_project_get(e, "ghost", &out), DG_ERROR_NOT_FOUND);
  char *tag = SENTINEL;
  CHECK_STATUS(dg_active_version(e, "japm", "staging", "t", "i", &tag, NULL, NULL), I);
  CHECK_MESSAGE_HAS("`out_found` must not be null");
  CHECK(tag == SENTINEL);
  bool found = true;
  CHECK_STATUS(dg_active_version(e, "japm", "staging", "t", "i", NULL, NULL, &found), I);
  CHECK(found);
  CHECK_STATUS(dg_active_version_tag(e, "japm", "staging", "t", "i", NULL), I);
  CHECK_MESSAGE_HAS("`out_version_tag` must not be null");
  tag = SENTINEL;
  CHECK_STATUS(dg_active_version_tag(e, "japm", NULL, "t", "i", &tag), I);
  CHECK_MESSAGE_HAS("`environment` must not be null");
  CHECK(tag == SENTINEL);
}

static void test_invalid_utf8_and_json(DgEngine *e) {
  char *out;
  const int32_t I = DG_ERROR_INVALID_INPUT;
  REFUSED(dg_project_get(e, "\xff\xfe", &out), I);
  CHECK_MESSAGE_HAS("`project` is not valid utf-8");
  REFUSED(dg_environment_get(e, "japm", "stag\xc3", &out), I);
  CHECK_MESSAGE_HAS("invalid byte at offset 4");
  REFUSED(dg_project_create(e, "p", "t", "n", "{\"id\":\"\xff\"}", &out), I);
  CHECK_MESSAGE_HAS("`actor` is not valid utf-8");

  REFUSED(dg_project_create(e, "p", "t", "n", "{", &out), I);
  CHECK_MESSAGE_HAS("invalid json in `actor`");
  REFUSED(dg_project_create(e, "p", "t", "n", "", &out), I);
  CHECK_MESSAGE_HAS("invalid json in `actor`");
  REFUSED(dg_project_create(e, "p", "t", "n", "{\"roles\":[\"admin\"]}", &out), I);
  CHECK_MESSAGE_HAS("missing field `id`");
  REFUSED(dg_project_create(e, "p", "t", "n", "[]", &out), I);
  REFUSED(dg_project_create(e, "p", "t", "n", "{\"id\":\"alice\",\"roles\":\"admin\"}", &out), I);
  REFUSED(dg_environment_create(e, "japm", "null", ALICE, &out), I);
  REFUSED(dg_deployment_request(e, "japm", "{\"environment\":\"staging\"}", ALICE, &out), I);
  CHECK_MESSAGE_HAS("missing field");
  REFUSED(dg_variables_set(e, "japm", "staging", "{\"key\":\"a\"}", ALICE, &out), I);
  REFUSED(dg_deployment_approve(e, "japm", "d", BOB, "{\"comment\":", &out), I);
  CHECK_MESSAGE_HAS("invalid json in `options`");
  REFUSED(dg_deployment_list(e, "japm", "{\"limit\":-1}", &out), I);
  REFUSED(dg_deployment_list(e, "japm", "{\"limit\":0}", &out), I);
  CHECK_MESSAGE_HAS("limit must be between 1 and 500");
  REFUSED(dg_events_after(e, "\xff", 0, NULL, &out), I);
  CHECK_MESSAGE_HAS("`project` is not valid utf-8");
  REFUSED(dg_deployment_promote(e, "japm", "d", "prod\xc3", ALICE, &out), I);
  CHECK_MESSAGE_HAS("`to_environment` is not valid utf-8");
  REFUSED(dg_lease_release(e, "japm", "d", ALICE, "\xff", &out), I);
  CHECK_MESSAGE_HAS("`reason` is not valid utf-8");
  REFUSED(dg_deployment_promote(e, "japm", "d", "production", "{\"id\":\"alice\"", &out), I);
  CHECK_MESSAGE_HAS("invalid json in `actor`");
  REFUSED(dg_version_quarantine(e, "japm", "prompt\xc3", "chatbot", "1.1.0", ALICE, "r", &out), I);
  CHECK_MESSAGE_HAS("`entity_type` is not valid utf-8");
  REFUSED(dg_version_quarantine(e, "japm", "prompt_version", "chatbot", "1.1.0\xff", ALICE, "r", &out), I);
  CHECK_MESSAGE_HAS("`version_tag` is not valid utf-8");
  REFUSED(dg_version_release(e, "japm", "prompt_version", "\xe2\x82", "1.1.0", ALICE, "r", &out), I);
  CHECK_MESSAGE_HAS("`entity_id` is not valid utf-8");
  REFUSED(dg_version_release(e, "japm", "prompt_version", "chatbot", "1.1.0", ALICE, "fixed \xff", &out), I);
  CHECK_MESSAGE_HAS("`reason` is not valid utf-8");
  REFUSED(dg_version_quarantine(e, "japm", "prompt_version", "chatbot", "1.1.0", "{\"id\":", "r", &out), I);
  CHECK_MESSAGE_HAS("invalid json in `actor`");
  REFUSED(dg_deployments_due(e, "ja\xffpm", &out), I);
  CHECK_MESSAGE_HAS("`project` is not valid utf-8");
  /* Schedules in a request are RFC 3339 and expires_at follows scheduled_for. */
  REFUSED(dg_deployment_request(e, "japm",
                                "{\"environment\":\"development\",\"name\":\"n\",\"scheduled_for\":\"tonight\",\"items\":[{"
                                "\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.1.0\"}]}",
                                ALICE, &out),
          I);
  CHECK_MESSAGE_HAS("invalid json in `request`");
  REFUSED(dg_deployment_request(e, "japm",
                                "{\"environment\":\"development\",\"name\":\"n\",\"expires_at\":1772355600,\"items\":[{"
                                "\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.1.0\"}]}",
                                ALICE, &out),
          I);
  REFUSED(dg_deployment_request(e, "japm",
                                "{\"environment\":\"development\",\"name\":\"n\",\"scheduled_for\":\"2026-05-01T12:00:00Z\","
                                "\"expires_at\":\"2026-05-01T12:00:00Z\",\"items\":[{"
                                "\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.1.0\"}]}",
                                ALICE, &out),
          I);
  CHECK_MESSAGE_HAS("is not after scheduled_for");
  /* Input types refuse unknown members (a typo is an error, not a silently dropped field). */
  REFUSED(dg_deployment_request(e, "japm",
                                "{\"enviroment\":\"staging\",\"environment\":\"staging\",\"name\":\"n\",\"items\":[{"
                                "\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.1.0\"}]}",
                                DAVE, &out),
          I);
  CHECK_MESSAGE_HAS("unknown field `enviroment`");
  REFUSED(dg_deployment_request(e, "japm",
                                "{\"environment\":\"staging\",\"name\":\"n\",\"items\":[{\"entity_type\":\"prompt_version\","
                                "\"entity_id\":\"chatbot\",\"version_tag\":\"1.1.0\",\"risk_level\":\"low\"}]}",
                                DAVE, &out),
          I);
  CHECK_MESSAGE_HAS("unknown field `risk_level`");
  REFUSED(dg_project_create(e, "p", "t", "n", "{\"id\":\"alice\",\"role\":[\"admin\"]}", &out), I);
  CHECK_MESSAGE_HAS("unknown field `role`");
  REFUSED(dg_deployment_approve(e, "japm", "d", BOB, "{\"coment\":\"ok\"}", &out), I);
  REFUSED(dg_deployment_list(e, "japm", "{\"stauts\":\"deployed\"}", &out), I);
  REFUSED(dg_policy_set(e, "japm", "staging", "{\"four_eye\":false}", ALICE, &out), I);
  CHECK_MESSAGE_HAS("unknown field `four_eye`");
  /* Trailing garbage is not JSON either. */
  REFUSED(dg_project_create(e, "p", "t", "n", ALICE " trailing", &out), I);
}

static void test_unknown_enums(DgEngine *e) {
  char *out;
  const int32_t I = DG_ERROR_INVALID_INPUT;
  REFUSED(dg_health_set(e, "japm", "staging", "sick", ALICE, &out), I);
  CHECK_MESSAGE_HAS("expected one of: healthy, degraded, down");
  REFUSED(dg_health_set(e, "japm", "staging", "", ALICE, &out), I);
  REFUSED(dg_deployment_check(e, "japm", "d", BOB, "launch", &out), I);
  CHECK_MESSAGE_HAS("`launch`");
  REFUSED(dg_deployment_request(e, "japm",
                                "{\"environment\":\"staging\",\"name\":\"n\",\"items\":[{\"entity_type\":\"prompt_version\","
                                "\"entity_id\":\"chatbot\",\"version_tag\":\"1.1.0\",\"risk\":\"extreme\"}]}",
                                DAVE, &out),
          I);
  CHECK_MESSAGE_HAS("`extreme`");
  REFUSED(dg_deployment_list(e, "japm", "{\"status\":\"exploded\"}", &out), I);
  REFUSED(dg_policy_set(e, "japm", "staging", "{\"risk_escalation\":[{\"min_risk\":\"huge\",\"extra_approvals\":1,\"eligible_roles\":[]}]}",
                        ALICE, &out),
          I);
}

static void test_missing_ids(DgEngine *e) {
  char *out;
  const int32_t N = DG_ERROR_NOT_FOUND;
  REFUSED(dg_project_get(e, "nope", &out), N);
  CHECK_MESSAGE_HAS("project `nope` does not exist");
  REFUSED(dg_environment_get(e, "japm", "nope", &out), N);
  REFUSED(dg_environment_list(e, "nope", &out), N);
  REFUSED(dg_environment_create(e, "nope", "{\"name\":\"x\"}", ALICE, &out), N);
  REFUSED(dg_policy_set(e, "japm", "nope", "{}", ALICE, &out), N);
  REFUSED(dg_variables_set(e, "japm", "nope", "[]", ALICE, &out), N);
  REFUSED(dg_health_set(e, "japm", "nope", "down", ALICE, &out), N);
  REFUSED(dg_version_register(e, "nope", "{\"entity_type\":\"a\",\"entity_id\":\"b\",\"version_tag\":\"1\"}", ALICE, &out), N);
  REFUSED(dg_version_list(e, "nope", "a", "b", &out), N);
  REFUSED(dg_deployment_request(e, "japm", "{\"environment\":\"nope\",\"name\":\"n\",\"items\":[]}", ALICE, &out), N);
  REFUSED(dg_deployment_get(e, "japm", "0190-nope", &out), N);
  REFUSED(dg_deployment_approve(e, "japm", "0190-nope", BOB, NULL, &out), N);
  REFUSED(dg_deployment_reject(e, "japm", "0190-nope", BOB, "r", &out), N);
  REFUSED(dg_deployment_cancel(e, "japm", "0190-nope", BOB, NULL, &out), N);
  REFUSED(dg_deployment_execute(e, "japm", "0190-nope", BOB, NULL, NULL, NULL, &out), N);
  REFUSED(dg_deployment_rollback(e, "japm", "0190-nope", BOB, "{\"reason\":\"r\"}", NULL, NULL, &out), N);
  REFUSED(dg_deployment_check(e, "japm", "0190-nope", BOB, "approve", &out), N);
  REFUSED(dg_deployment_list(e, "nope", NULL, &out), N);
  REFUSED(dg_active_state(e, "japm", "nope", &out), N);
  REFUSED(dg_entity_history(e, "nope", "a", "b", NULL, &out), N);
  REFUSED(dg_environments_compare(e, "japm", "staging", "nope", &out), N);
  REFUSED(dg_pending_approvals(e, "nope", BOB, &out), N);
  REFUSED(dg_audit_log(e, "nope", NULL, 0, NULL, &out), N);
  REFUSED(dg_deployment_promote(e, "japm", "0190-nope", "production", ALICE, &out), N);
  REFUSED(dg_deployment_promote(e, "nope", "0190-nope", "production", ALICE, &out), N);
  REFUSED(dg_lease_release(e, "japm", "0190-nope", ALICE, "stuck", &out), N);
  REFUSED(dg_active_state_at(e, "japm", "nope", "2026-03-01T09:00:00Z", &out), N);
  REFUSED(dg_deployments_live_at(e, "nope", "staging", "2026-03-01T09:00:00Z", &out), N);
  REFUSED(dg_version_quarantine(e, "japm", "prompt_version", "chatbot", "9.9.9", ALICE, "r", &out), N);
  REFUSED(dg_version_quarantine(e, "japm", "prompt_version", "nobody", "1.1.0", ALICE, "r", &out), N);
  REFUSED(dg_version_release(e, "nope", "prompt_version", "chatbot", "1.1.0", ALICE, "r", &out), N);
  REFUSED(dg_deployments_due(e, "nope", &out), N);
  /* The hot path answers "nothing live" for unknown names. */
  char *tag = SENTINEL;
  bool found = true;
  CHECK_OK(dg_active_version(e, "nope", "nope", "a", "b", &tag, NULL, &found));
  CHECK(!found && tag == NULL);
}

static void test_empty_and_huge(DgEngine *e) {
  char *out;
  const int32_t I = DG_ERROR_INVALID_INPUT;
  DgEngine *none = NULL;
  CHECK_STATUS(dg_engine_open("", &none), I);
  CHECK_MESSAGE_HAS("database path must not be empty");
  CHECK(none == NULL);
  REFUSED(dg_project_create(e, "", "acme", "Empty", ALICE, &out), I);
  CHECK_MESSAGE_HAS("project id must not be empty");
  REFUSED(dg_project_create(e, "p", "acme", "P", "{\"id\":\"\",\"roles\":[\"admin\"]}", &out), I);
  CHECK_MESSAGE_HAS("actor id must not be empty");
  REFUSED(dg_environment_create(e, "japm", "{\"name\":\"\"}", ALICE, &out), I);
  REFUSED(dg_deployment_reject(e, "japm", "d", BOB, "", &out), I);
  REFUSED(dg_project_create(e, "tab\there", "acme", "P", ALICE, &out), I);
  CHECK_MESSAGE_HAS("control characters");

  /* 10 MB strings: refused as ids, and as free text (no stored record may exceed 1 MiB); nothing
   * is written. Free text under the limit comes back intact. */
  size_t n = 10u * 1024u * 1024u;
  char *huge = malloc(n + 1);
  CHECK(huge != NULL);
  memset(huge, 'a', n);
  huge[n] = '\0';
  REFUSED(dg_project_create(e, huge, "acme", "Huge", ALICE, &out), I);
  CHECK_MESSAGE_HAS("longer than 256 bytes");
  REFUSED(dg_project_get(e, huge, &out), DG_ERROR_NOT_FOUND);
  REFUSED(dg_project_create(e, "big", "acme", huge, ALICE, &out), I);
  CHECK_MESSAGE_HAS("too large");
  REFUSED(dg_project_get(e, "big", &out), DG_ERROR_NOT_FOUND);
  huge[512u * 1024u] = '\0';
  CHECK_OK(dg_project_create(e, "big", "acme", huge, ALICE, &out));
  dg_string_free(out);
  CHECK_OK(dg_project_get(e, "big", &out));
  json_t *v = take_json(out);
  CHECK(strlen(jstr(v, "name")) == 512u * 1024u);
  json_decref(v);
  huge[512u * 1024u] = 'a';
  /* 10 MB of nesting in free JSON metadata is refused by the decoder's depth limit, not by the
   * stack. */
  const char *prefix = "{\"entity_type\":\"a\",\"entity_id\":\"b\",\"version_tag\":\"1\",\"metadata\":";
  memset(huge, '[', n);
  memcpy(huge, prefix, strlen(prefix));
  REFUSED(dg_version_register(e, "japm", huge, ALICE, &out), I);
  CHECK_MESSAGE_HAS("recursion limit");
  /* A 10 MB actor id inside valid JSON. */
  memset(huge, 'x', n);
  memcpy(huge, "{\"id\":\"", 7);
  memcpy(huge + n - 2, "\"}", 2);
  REFUSED(dg_project_create(e, "p", "acme", "P", huge, &out), I);
  CHECK_MESSAGE_HAS("actor id is longer than 256 bytes");
  free(huge);

  /* NUL smuggled through JSON is a control character in an id. */
  REFUSED(dg_project_create(e, "p", "acme", "P", "{\"id\":\"a\\u0000b\",\"roles\":[\"admin\"]}", &out), I);
  CHECK_MESSAGE_HAS("control characters");
}

/* The outbox's cursor and limit, and the signing key. */
static void test_events(DgEngine *e) {
  char *out;
  const int32_t I = DG_ERROR_INVALID_INPUT;
  const uint32_t zero = 0, too_many = 1001;
  REFUSED(dg_events_after(e, "japm", 0, &zero, &out), I);
  CHECK_MESSAGE_HAS("limit must be between 1 and 1000, got `0`");
  REFUSED(dg_events_after(e, NULL, 0, &too_many, &out), I);
  CHECK_MESSAGE_HAS("got `1001`");
  REFUSED(dg_events_after(e, "japm", -1, NULL, &out), I);
  CHECK_MESSAGE_HAS("after_seq must not be negative, got `-1`");
  REFUSED(dg_events_after(e, NULL, INT64_MIN, NULL, &out), I);
  const uint8_t key[] = "k";
  CHECK_STATUS(dg_event_signing_key_set(e, key, 0), I);
  CHECK_MESSAGE_HAS("the signing key must not be empty");
  /* Nothing was set by the refused calls: events stay unsigned. */
  const uint32_t one = 1;
  CHECK_OK(dg_events_after(e, NULL, 0, &one, &out));
  json_t *v = take_json(out);
  CHECK(json_array_size(v) == 1 && json_is_null(jpath(v, "0.signature")));
  json_decref(v);
  /* Names are checked like every id. */
  int freed = 0;
  CHECK_STATUS(dg_subscriber_register(e, "", ignore_event, &freed, count_free), I);
  CHECK_MESSAGE_HAS("subscriber name must not be empty");
  CHECK_STATUS(dg_subscriber_register(e, "tab\there", ignore_event, &freed, count_free), I);
  CHECK_MESSAGE_HAS("control characters");
  CHECK_STATUS(dg_subscriber_register(e, "\xc3", ignore_event, &freed, count_free), I);
  CHECK_MESSAGE_HAS("`name` is not valid utf-8");
  CHECK(freed == 3);
  bool existed = true;
  CHECK_OK(dg_subscriber_unregister(e, "", &existed));
  CHECK(!existed);
}

/* Timestamps of the point-in-time queries are RFC 3339; anything else is refused with a message
 * that says so and quotes (the start of) the text, before the project or environment is looked
 * up. */
static void test_timestamps(DgEngine *e) {
  char *out;
  const int32_t I = DG_ERROR_INVALID_INPUT;
  const char *bad[] = {"",
                       "yesterday",
                       "2026-03-01",                /* a date */
                       "2026-03-01T09:00:00",       /* no offset */
                       "2026-02-30T09:00:00Z",      /* no such day */
                       "2026-03-01T25:00:00Z",      /* no such hour */
                       "2026-03-01T09:00:00Z trailing",
                       "1772355600",                /* epoch seconds */
                       NULL};
  for (const char **t = bad; *t != NULL; t++) {
    REFUSED(dg_active_state_at(e, "japm", "staging", *t, &out), I);
    CHECK_MESSAGE_HAS("`at` must be an RFC 3339 time like `2026-03-01T09:00:00Z`, got `");
    CHECK_MESSAGE_HAS(*t);
    REFUSED(dg_deployments_live_at(e, "japm", "staging", *t, &out), I);
    CHECK_MESSAGE_HAS("`at` must be an RFC 3339 time");
  }
  REFUSED(dg_active_state_at(e, "nope", "nope", "soon", &out), I); /* arguments first */
  REFUSED(dg_deployments_live_at(e, "japm", "staging", "2026-03-01T09:00:00\xffZ", &out), I);
  CHECK_MESSAGE_HAS("`at` is not valid utf-8");
  /* A 1 MB timestamp: refused, and the message quotes only its start. */
  size_t n = 1024u * 1024u;
  char *huge = malloc(n + 1);
  CHECK(huge != NULL);
  memset(huge, '9', n);
  huge[n] = '\0';
  REFUSED(dg_active_state_at(e, "japm", "staging", huge, &out), I);
  char *m = dg_last_error_message();
  CHECK(m != NULL && strlen(m) < 300 && strstr(m, "999...`") != NULL);
  dg_string_free(m);
  free(huge);
  /* Fractions and offsets are fine: nothing was live in staging. */
  const char *good[] = {"2026-03-01T09:00:00Z", "2026-03-01T09:00:00.123456Z", "2026-03-01T10:00:00+01:00", "2026-03-01t09:00:00z",
                        NULL};
  for (const char **t = good; *t != NULL; t++) {
    CHECK_OK(dg_active_state_at(e, "japm", "staging", *t, &out));
    json_t *v = take_json(out);
    CHECK(json_is_array(v) && json_array_size(v) == 0);
    json_decref(v);
    CHECK_OK(dg_deployments_live_at(e, "japm", "staging", *t, &out));
    v = take_json(out);
    CHECK(json_is_array(v) && json_array_size(v) == 0);
    json_decref(v);
  }
}

/* Promotion and lease release refuse unauthorized actors and blank reasons before any lookup,
 * and name what is missing. */
static void test_governance(DgEngine *e) {
  char *out;
  REFUSED(dg_lease_release(e, "japm", "0190-nope", DAVE, "stuck", &out), DG_ERROR_FORBIDDEN);
  CHECK_MESSAGE_HAS("`dave`");
  REFUSED(dg_lease_release(e, "japm", "0190-nope", ALICE, "", &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("a reason is required to release a lease");
  REFUSED(dg_lease_release(e, "japm", "0190-nope", ALICE, " \t ", &out), DG_ERROR_INVALID_INPUT);
  REFUSED(dg_deployment_promote(e, "japm", "d", "", ALICE, &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("environment name must not be empty");
  REFUSED(dg_deployment_promote(e, "japm", "d", "tab\there", ALICE, &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("control characters");
  REFUSED(dg_deployment_promote(e, "japm", "d", "production", "{\"id\":\"\",\"roles\":[\"admin\"]}", &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("actor id must not be empty");
  /* Quarantine: admins only and a reason, checked before any lookup; releasing what is not
   * quarantined is a conflict. */
  REFUSED(dg_version_quarantine(e, "japm", "prompt_version", "nobody", "1.1.0", DAVE, "r", &out), DG_ERROR_FORBIDDEN);
  CHECK_MESSAGE_HAS("actor `dave` may not quarantine versions");
  REFUSED(dg_version_release(e, "japm", "prompt_version", "nobody", "1.1.0", LENA, "r", &out), DG_ERROR_FORBIDDEN);
  CHECK_MESSAGE_HAS("actor `lena` may not release quarantined versions");
  REFUSED(dg_version_quarantine(e, "japm", "prompt_version", "nobody", "1.1.0", ALICE, "", &out), DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("a reason is required");
  REFUSED(dg_version_release(e, "japm", "prompt_version", "chatbot", "1.1.0", ALICE, "\n ", &out), DG_ERROR_INVALID_INPUT);
  REFUSED(dg_version_release(e, "japm", "prompt_version", "chatbot", "1.1.0", ALICE, "nothing to release", &out), DG_ERROR_CONFLICT);
  CHECK_MESSAGE_HAS("is not quarantined");
  REFUSED(dg_version_quarantine(e, "japm", "prompt_version", "chatbot", "1.1.0", "{\"id\":\"\",\"roles\":[\"admin\"]}", "r", &out),
          DG_ERROR_INVALID_INPUT);
  CHECK_MESSAGE_HAS("actor id must not be empty");
  /* Nothing is due in a project with no deployments. */
  CHECK_OK(dg_deployments_due(e, "japm", &out));
  CHECK(strcmp(out, "[]") == 0);
  dg_string_free(out);
  /* The sweep has nothing to do here and writes nothing. */
  CHECK_OK(dg_sweep(e, &out));
  json_t *v = take_json(out);
  CHECK(json_array_size(jpath(v, "leases_expired")) == 0 && json_array_size(jpath(v, "approvals_expired")) == 0);
  json_decref(v);
}

static void test_last_error_state(DgEngine *e) {
  char *out = NULL;
  CHECK_STATUS(dg_project_get(e, "nope", &out), DG_ERROR_NOT_FOUND);
  CHECK(dg_last_error_code() == DG_ERROR_NOT_FOUND);
  CHECK(dg_last_error_findings() == NULL);
  /* Reading the message does not consume it. */
  CHECK_MESSAGE_HAS("`nope`");
  CHECK_MESSAGE_HAS("`nope`");
  CHECK_OK(dg_project_get(e, "japm", &out));
  dg_string_free(out);
  CHECK(dg_last_error_code() == DG_OK);
  CHECK(dg_last_error_message() == NULL);
}

int main(void) {
  DgEngine *e = NULL;
  CHECK_OK(dg_engine_open(":memory:", &e));
  setup_japm(e);
  test_null_engine();
  test_null_arguments(e);
  test_invalid_utf8_and_json(e);
  test_unknown_enums(e);
  test_missing_ids(e);
  test_empty_and_huge(e);
  test_events(e);
  test_timestamps(e);
  test_governance(e);
  test_last_error_state(e);
  /* Nothing above changed the store except the one project created on purpose. */
  char *out = NULL;
  CHECK_OK(dg_audit_verify(e, &out));
  json_t *v = take_json(out);
  CHECK(json_integer_value(jpath(v, "entries")) == 10); /* setup (9) + project `big` */
  json_decref(v);
  dg_engine_free(e);
  printf("test_bad_input: ok\n");
  return 0;
}
