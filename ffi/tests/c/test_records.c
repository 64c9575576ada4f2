/* Governed records through the C ABI: removing and comparing environment variables (secrets never
 * leave the engine), build artifacts and their retention, deployment errors, the compliance report
 * (JSON and CSV) and environment metrics. Each function also gets its bad input: NULL handles and
 * pointers, invalid UTF-8, malformed JSON, unknown enum strings, unknown ids, bad time ranges;
 * nothing is written on failure. */
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
#define N DG_ERROR_NOT_FOUND
#define ITEM(type, id, tag) "{\"entity_type\":\"" type "\",\"entity_id\":\"" id "\",\"version_tag\":\"" tag "\"}"
#define FROM "2026-01-01T00:00:00Z"
#define TO "2100-01-01T00:00:00Z"

/* The JSON result of a call that must succeed. `out` is read only here, after the call (argument
 * evaluation order is unspecified in C). */
static json_t *ok_json(int32_t status, char **out) {
  CHECK_OK(status);
  return take_json(*out);
}

static void test_variables(DgEngine *e) {
  char *out = NULL;
  CHECK_OK_DISCARD(dg_variables_set(e, "japm", "staging",
                                    "[{\"key\":\"API_KEY\",\"value\":\"s3cret\",\"secret\":true},{\"key\":\"REGION\",\"value\":\"us\"},"
                                    "{\"key\":\"DEBUG\",\"value\":\"1\"}]",
                                    ALICE, &out));
  json_t *diff = ok_json(dg_variables_compare(e, "japm", "staging", "production", &out), &out);
  CHECK(json_array_size(diff) == 3);
  CHECK_STREQ(jstr(diff, "0.key"), "API_KEY");
  CHECK_STREQ(jstr(diff, "0.left"), "***");
  CHECK_STREQ(jstr(diff, "0.right"), "***");
  CHECK(json_is_true(jpath(diff, "0.secret")) && json_is_true(jpath(diff, "0.equal")));
  CHECK_STREQ(jstr(diff, "1.key"), "DEBUG");
  CHECK(json_is_null(jpath(diff, "1.right")) && json_is_false(jpath(diff, "1.equal")));
  CHECK_STREQ(jstr(diff, "2.left"), "us");
  CHECK_STREQ(jstr(diff, "2.right"), "eu");
  char *text = json_dumps(diff, JSON_COMPACT);
  CHECK(strstr(text, "s3cret") == NULL);
  free(text);
  json_decref(diff);
  REFUSED(dg_variables_compare(e, "japm", "staging", "nowhere", &out), N);
  REFUSED(dg_variables_compare(e, "japm", NULL, "production", &out), I);
  CHECK_MESSAGE_HAS("`left` must not be null");
  REFUSED(dg_variables_compare(e, "japm", "staging", "prod\xc3", &out), I);
  CHECK_MESSAGE_HAS("`right` is not valid utf-8");
  REFUSED(dg_variables_compare(NULL, "japm", "staging", "production", &out), I);
  CHECK_STATUS(dg_variables_compare(e, "japm", "staging", "production", NULL), I);

  REFUSED(dg_variables_unset(e, "japm", "staging", "[\"DEBUG\"]", DAVE, &out), DG_ERROR_FORBIDDEN);
  REFUSED(dg_variables_unset(e, "japm", "staging", "[\"DEBUG\",\"NO_SUCH_KEY\"]", ALICE, &out), N);
  CHECK_MESSAGE_HAS("`NO_SUCH_KEY`");
  REFUSED(dg_variables_unset(e, "japm", "staging", "[]", ALICE, &out), I);
  REFUSED(dg_variables_unset(e, "japm", "staging", "[\"DEBUG\",\"DEBUG\"]", ALICE, &out), I);
  REFUSED(dg_variables_unset(e, "japm", "staging", "[\"\"]", ALICE, &out), I);
  REFUSED(dg_variables_unset(e, "japm", "staging", "\"DEBUG\"", ALICE, &out), I);
  CHECK_MESSAGE_HAS("invalid json in `keys`");
  REFUSED(dg_variables_unset(e, "japm", "staging", "[\"DEBUG\"", ALICE, &out), I);
  REFUSED(dg_variables_unset(e, "japm", "staging", NULL, ALICE, &out), I);
  CHECK_MESSAGE_HAS("`keys` must not be null");
  REFUSED(dg_variables_unset(e, "japm", "staging", "[\"DE\xffUG\"]", ALICE, &out), I);
  REFUSED(dg_variables_unset(e, "japm", "nowhere", "[\"DEBUG\"]", ALICE, &out), N);
  REFUSED(dg_variables_unset(NULL, "japm", "staging", "[\"DEBUG\"]", ALICE, &out), I);
  json_t *env = ok_json(dg_variables_unset(e, "japm", "staging", "[\"DEBUG\",\"REGION\"]", ALICE, &out), &out);
  CHECK(json_array_size(jpath(env, "variables")) == 1);
  CHECK_STREQ(jstr(env, "variables.0.key"), "API_KEY");
  CHECK_STREQ(jstr(env, "variables.0.value"), "***");
  json_decref(env);
}

static char *attach(DgEngine *e, const char *tag, const char *uri) {
  char spec[512], *out = NULL;
  snprintf(spec, sizeof spec, "{\"entity_type\":\"ai_model\",\"entity_id\":\"gpt-x\",\"version_tag\":\"%s\",\"name\":\"weights\",\"uri\":\"%s\"}", tag,
           uri);
  CHECK_OK(dg_artifact_attach(e, "japm", spec, DAVE, &out));
  return take_id(out);
}

static void deploy_dev(DgEngine *e, const char *items) {
  char *out = NULL;
  char *id = request(e, "development", "dev", items, DAVE);
  CHECK_OK(dg_deployment_execute(e, "japm", id, DAVE, NULL, NULL, NULL, &out));
  check_status_of(out, "deployed");
  free(id);
}

static void test_artifacts(DgEngine *e) {
  char *out = NULL;
  register_version(e, "ai_model", "gpt-x", "2.0.0");
  register_version(e, "ai_model", "gpt-x", "3.0.0");
  CHECK_OK_DISCARD(dg_policy_set(e, "japm", "development", "{\"artifact_retention\":1}", ALICE, &out));
  const char *spec = "{\"entity_type\":\"ai_model\",\"entity_id\":\"gpt-x\",\"version_tag\":\"1.0.0\",\"name\":\"weights\","
                     "\"uri\":\"s3://models/gpt-x-1\",\"digest\":\"sha256:ab\",\"size_bytes\":1000}";
  json_t *a = ok_json(dg_artifact_attach(e, "japm", spec, DAVE, &out), &out);
  CHECK_STREQ(jstr(a, "created_by"), "dave");
  CHECK(json_integer_value(jpath(a, "size_bytes")) == 1000);
  char *a1 = strdup(jstr(a, "id"));
  json_decref(a);
  /* The same artifact again is the existing one; a different one under the name a conflict. */
  a = ok_json(dg_artifact_attach(e, "japm", spec, DAVE, &out), &out);
  CHECK_STREQ(jstr(a, "id"), a1);
  json_decref(a);
  REFUSED(dg_artifact_attach(e, "japm",
                             "{\"entity_type\":\"ai_model\",\"entity_id\":\"gpt-x\",\"version_tag\":\"1.0.0\",\"name\":\"weights\","
                             "\"uri\":\"s3://elsewhere\"}",
                             DAVE, &out),
          DG_ERROR_CONFLICT);
  REFUSED(dg_artifact_attach(e, "japm", "{\"entity_type\":\"ai_model\",\"entity_id\":\"gpt-x\",\"version_tag\":\"9.9.9\",\"name\":\"w\",\"uri\":\"u\"}",
                             DAVE, &out),
          N);
  REFUSED(dg_artifact_attach(e, "japm", "{\"entity_type\":\"ai_model\",\"entity_id\":\"gpt-x\",\"version_tag\":\"1.0.0\",\"name\":\"w\"}", DAVE, &out),
          I);
  CHECK_MESSAGE_HAS("missing field `uri`");
  REFUSED(dg_artifact_attach(e, "japm",
                             "{\"entity_type\":\"ai_model\",\"entity_id\":\"gpt-x\",\"version_tag\":\"1.0.0\",\"name\":\"w\",\"uri\":\"u\","
                             "\"size\":1}",
                             DAVE, &out),
          I);
  CHECK_MESSAGE_HAS("unknown field `size`");
  REFUSED(dg_artifact_attach(e, "japm", "{", DAVE, &out), I);
  REFUSED(dg_artifact_attach(e, "japm", NULL, DAVE, &out), I);
  REFUSED(dg_artifact_attach(e, "japm", spec, "{\"id\":\"\xff\",\"roles\":[]}", &out), I);
  REFUSED(dg_artifact_attach(NULL, "japm", spec, DAVE, &out), I);
  char *a2 = attach(e, "2.0.0", "s3://models/gpt-x-2");
  char *a3 = attach(e, "3.0.0", "s3://models/gpt-x-3");

  json_t *list = ok_json(dg_artifact_list(e, "japm", "ai_model", "gpt-x", NULL, &out), &out);
  CHECK(json_array_size(list) == 3);
  CHECK_STREQ(jstr(list, "0.id"), a1);
  json_decref(list);
  list = ok_json(dg_artifact_list(e, "japm", "ai_model", "gpt-x", "2.0.0", &out), &out);
  CHECK(json_array_size(list) == 1 && strcmp(jstr(list, "0.id"), a2) == 0);
  json_decref(list);
  REFUSED(dg_artifact_list(e, "japm", "ai_model", "gpt-x", "9.9.9", &out), N);
  REFUSED(dg_artifact_list(e, "japm", "ai_model", "gpt-x", "2.0.0\xff", &out), I);
  CHECK_MESSAGE_HAS("`version_tag` is not valid utf-8");
  REFUSED(dg_artifact_list(e, "japm", NULL, "gpt-x", NULL, &out), I);
  REFUSED(dg_artifact_list(e, "nope", "ai_model", "gpt-x", NULL, &out), N);
  REFUSED(dg_artifact_list(NULL, "japm", "ai_model", "gpt-x", NULL, &out), I);

  /* Nothing deployed: nothing prunable. Then 1.0.0, 2.0.0, 3.0.0 go live in development
   * (retention 1): 1.0.0 is prunable, 2.0.0 is the last known good, 3.0.0 is live. */
  list = ok_json(dg_artifacts_prunable(e, "japm", &out), &out);
  CHECK(json_array_size(list) == 0);
  json_decref(list);
  deploy_dev(e, "[" ITEM("ai_model", "gpt-x", "1.0.0") "]");
  deploy_dev(e, "[" ITEM("ai_model", "gpt-x", "2.0.0") "]");
  deploy_dev(e, "[" ITEM("ai_model", "gpt-x", "3.0.0") "]");
  list = ok_json(dg_artifacts_prunable(e, "japm", &out), &out);
  CHECK(json_array_size(list) == 1 && strcmp(jstr(list, "0.id"), a1) == 0);
  json_decref(list);
  REFUSED(dg_artifacts_prunable(e, "nope", &out), N);
  REFUSED(dg_artifacts_prunable(e, NULL, &out), I);
  REFUSED(dg_artifacts_prunable(NULL, "japm", &out), I);

  char ids[256];
  snprintf(ids, sizeof ids, "[\"%s\",\"%s\"]", a1, a2);
  REFUSED(dg_artifacts_prune(e, "japm", ids, ALICE, "retention", &out), DG_ERROR_POLICY_VIOLATION);
  CHECK_MESSAGE_HAS(a2);
  snprintf(ids, sizeof ids, "[\"%s\"]", a3);
  REFUSED(dg_artifacts_prune(e, "japm", ids, ALICE, "retention", &out), DG_ERROR_POLICY_VIOLATION);
  snprintf(ids, sizeof ids, "[\"%s\",\"%s\"]", a1, a1);
  REFUSED(dg_artifacts_prune(e, "japm", ids, ALICE, "retention", &out), I);
  snprintf(ids, sizeof ids, "[\"%s\"]", a1);
  REFUSED(dg_artifacts_prune(e, "japm", ids, DAVE, "retention", &out), DG_ERROR_FORBIDDEN);
  REFUSED(dg_artifacts_prune(e, "japm", ids, ALICE, "", &out), I);
  REFUSED(dg_artifacts_prune(e, "japm", ids, ALICE, NULL, &out), I);
  REFUSED(dg_artifacts_prune(e, "japm", "[]", ALICE, "retention", &out), I);
  REFUSED(dg_artifacts_prune(e, "japm", "{\"ids\":[]}", ALICE, "retention", &out), I);
  CHECK_MESSAGE_HAS("invalid json in `ids`");
  REFUSED(dg_artifacts_prune(e, "japm", "[\"no-such-artifact\"]", ALICE, "retention", &out), N);
  REFUSED(dg_artifacts_prune(NULL, "japm", ids, ALICE, "retention", &out), I);
  list = ok_json(dg_artifacts_prune(e, "japm", ids, ALICE, "retention", &out), &out);
  CHECK(json_array_size(list) == 1 && strcmp(jstr(list, "0.id"), a1) == 0);
  CHECK_STREQ(jstr(list, "0.uri"), "s3://models/gpt-x-1");
  json_decref(list);
  REFUSED(dg_artifacts_prune(e, "japm", ids, ALICE, "again", &out), N);
  json_t *audit = ok_json(dg_audit_log(e, "japm", a1, 0, NULL, &out), &out);
  CHECK(json_array_size(audit) == 2);
  CHECK_STREQ(jstr(audit, "1.action"), "artifact.pruned");
  CHECK_STREQ(jstr(audit, "1.reason"), "retention");
  json_decref(audit);
  CHECK_OK_DISCARD(dg_policy_set(e, "japm", "development", "{}", ALICE, &out));
  free(a1);
  free(a2);
  free(a3);
}

static void test_errors(DgEngine *e) {
  char *out = NULL;
  char *d = request(e, "development", "errors", "[" ITEM("prompt_version", "chatbot", "1.1.0") "]", DAVE);
  char spec[1024];
  snprintf(spec, sizeof spec,
           "{\"deployment_id\":\"%s\",\"category\":\"network\",\"severity\":\"high\",\"code\":\"DNS_SLOW\",\"stage\":\"deploy\","
           "\"message\":\"dns retry\\nat resolver\",\"user_impact\":\"slow pages\"}",
           d);
  json_t *rec = ok_json(dg_deployment_error_record(e, "japm", spec, DAVE, &out), &out);
  CHECK_STREQ(jstr(rec, "environment"), "development");
  CHECK_STREQ(jstr(rec, "recorded_by"), "dave");
  CHECK_STREQ(jstr(rec, "message"), "dns retry\nat resolver");
  CHECK(json_is_null(jpath(rec, "resolution")));
  char *err1 = strdup(jstr(rec, "id"));
  json_decref(rec);

  char bad[1024];
  snprintf(bad, sizeof bad,
           "{\"deployment_id\":\"%s\",\"category\":\"cosmic\",\"severity\":\"high\",\"code\":\"X\",\"stage\":\"s\",\"message\":\"m\"}", d);
  REFUSED(dg_deployment_error_record(e, "japm", bad, DAVE, &out), I);
  CHECK_MESSAGE_HAS("`cosmic`");
  snprintf(bad, sizeof bad,
           "{\"deployment_id\":\"%s\",\"category\":\"network\",\"severity\":\"apocalyptic\",\"code\":\"X\",\"stage\":\"s\",\"message\":\"m\"}", d);
  REFUSED(dg_deployment_error_record(e, "japm", bad, DAVE, &out), I);
  CHECK_MESSAGE_HAS("`apocalyptic`");
  snprintf(bad, sizeof bad, "{\"deployment_id\":\"%s\",\"category\":\"network\",\"severity\":\"low\",\"code\":\"X\",\"stage\":\"s\",\"message\":\" \"}",
           d);
  REFUSED(dg_deployment_error_record(e, "japm", bad, DAVE, &out), I);
  REFUSED(dg_deployment_error_record(e, "japm",
                                     "{\"deployment_id\":\"no-such-deployment\",\"category\":\"network\",\"severity\":\"low\",\"code\":\"X\","
                                     "\"stage\":\"s\",\"message\":\"m\"}",
                                     DAVE, &out),
          N);
  REFUSED(dg_deployment_error_record(e, "japm", "{\"deployment_id\":1}", DAVE, &out), I);
  REFUSED(dg_deployment_error_record(e, "japm", NULL, DAVE, &out), I);
  REFUSED(dg_deployment_error_record(e, "japm", spec, NULL, &out), I);
  REFUSED(dg_deployment_error_record(NULL, "japm", spec, DAVE, &out), I);
  snprintf(spec, sizeof spec,
           "{\"deployment_id\":\"%s\",\"category\":\"performance\",\"severity\":\"critical\",\"code\":\"P95\",\"stage\":\"verify\","
           "\"message\":\"slow\"}",
           d);
  CHECK_OK(dg_deployment_error_record(e, "japm", spec, DAVE, &out));
  char *err2 = take_id(out);

  REFUSED(dg_deployment_error_resolve(e, "japm", err1, LENA, "  ", &out), I);
  REFUSED(dg_deployment_error_resolve(e, "japm", err1, LENA, NULL, &out), I);
  CHECK_MESSAGE_HAS("`notes` must not be null");
  REFUSED(dg_deployment_error_resolve(e, "japm", NULL, LENA, "fixed", &out), I);
  CHECK_MESSAGE_HAS("`error_id` must not be null");
  REFUSED(dg_deployment_error_resolve(e, "japm", "no-such-error", LENA, "fixed", &out), N);
  REFUSED(dg_deployment_error_resolve(e, "japm", err1, LENA, "fixed \xff", &out), I);
  REFUSED(dg_deployment_error_resolve(NULL, "japm", err1, LENA, "fixed", &out), I);
  rec = ok_json(dg_deployment_error_resolve(e, "japm", err1, LENA, "dns cache fixed", &out), &out);
  CHECK_STREQ(jstr(rec, "resolution.resolved_by"), "lena");
  CHECK_STREQ(jstr(rec, "resolution.notes"), "dns cache fixed");
  json_decref(rec);
  REFUSED(dg_deployment_error_resolve(e, "japm", err1, ALICE, "again", &out), DG_ERROR_CONFLICT);
  CHECK_MESSAGE_HAS("already resolved by `lena`");

  json_t *list = ok_json(dg_deployment_error_list(e, "japm", NULL, &out), &out);
  CHECK(json_array_size(list) == 2);
  json_decref(list);
  list = ok_json(dg_deployment_error_list(e, "japm", "{\"unresolved_only\":true}", &out), &out);
  CHECK(json_array_size(list) == 1 && strcmp(jstr(list, "0.id"), err2) == 0);
  json_decref(list);
  list = ok_json(dg_deployment_error_list(e, "japm", "{\"severity\":\"high\",\"environment\":\"development\"}", &out), &out);
  CHECK(json_array_size(list) == 1 && strcmp(jstr(list, "0.id"), err1) == 0);
  json_decref(list);
  list = ok_json(dg_deployment_error_list(e, "japm", "{\"environment\":\"staging\"}", &out), &out);
  CHECK(json_array_size(list) == 0);
  json_decref(list);
  REFUSED(dg_deployment_error_list(e, "japm", "{\"severity\":\"bogus\"}", &out), I);
  CHECK_MESSAGE_HAS("`bogus`");
  REFUSED(dg_deployment_error_list(e, "japm", "{\"unresolved\":true}", &out), I);
  CHECK_MESSAGE_HAS("unknown field `unresolved`");
  REFUSED(dg_deployment_error_list(e, "japm", "{\"environment\":\"nowhere\"}", &out), N);
  REFUSED(dg_deployment_error_list(e, "japm", "[", &out), I);
  REFUSED(dg_deployment_error_list(e, "nope", NULL, &out), N);
  REFUSED(dg_deployment_error_list(NULL, "japm", NULL, &out), I);
  CHECK_STATUS(dg_deployment_error_list(e, "japm", NULL, NULL), I);
  free(d);
  free(err1);
  free(err2);
}

static void test_reports(DgEngine *e) {
  char *out = NULL;
  /* A production deployment (two approvals) that goes live: the governed environment of the report. */
  char *p = request(e, "production", "prod release", "[" ITEM("prompt_version", "chatbot", "1.1.0") "]", ALICE);
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", p, BOB, NULL, &out));
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", p, CAROL, "{\"comment\":\"ok, \\\"go\\\"\"}", &out));
  CHECK_OK(dg_deployment_execute(e, "japm", p, BOB, NULL, NULL, NULL, &out));
  check_status_of(out, "deployed");

  json_t *r = ok_json(dg_compliance_report(e, "japm", FROM, TO, NULL, &out), &out);
  CHECK(json_array_size(jpath(r, "environments")) == 2); /* staging and production have approval rules */
  CHECK(json_array_size(jpath(r, "entries")) == 1);
  CHECK_STREQ(jstr(r, "entries.0.deployment_id"), p);
  CHECK_STREQ(jstr(r, "entries.0.approvers.0"), "bob");
  CHECK_STREQ(jstr(r, "entries.0.approvers.1"), "carol");
  CHECK_STREQ(jstr(r, "entries.0.executed_by"), "bob");
  json_decref(r);
  r = ok_json(dg_compliance_report(e, "japm", FROM, TO, "development", &out), &out);
  CHECK(json_array_size(jpath(r, "entries")) > 1);
  json_decref(r);
  REFUSED(dg_compliance_report(e, "japm", TO, FROM, NULL, &out), I);
  CHECK_MESSAGE_HAS("the range is empty");
  REFUSED(dg_compliance_report(e, "japm", FROM, FROM, NULL, &out), I);
  REFUSED(dg_compliance_report(e, "japm", "last week", TO, NULL, &out), I);
  CHECK_MESSAGE_HAS("`from` must be an RFC 3339 time");
  REFUSED(dg_compliance_report(e, "japm", FROM, "2100-01-01", NULL, &out), I);
  CHECK_MESSAGE_HAS("`to` must be an RFC 3339 time");
  REFUSED(dg_compliance_report(e, "japm", NULL, TO, NULL, &out), I);
  REFUSED(dg_compliance_report(e, "japm", FROM, TO, "nowhere", &out), N);
  REFUSED(dg_compliance_report(e, "japm", FROM, TO, "prod\xff", &out), I);
  REFUSED(dg_compliance_report(e, "nope", FROM, TO, NULL, &out), N);
  REFUSED(dg_compliance_report(NULL, "japm", FROM, TO, NULL, &out), I);

  /* The CSV form: a header row, one CRLF-terminated row per deployment. */
  CHECK_OK(dg_compliance_report_csv(e, "japm", FROM, TO, "production", &out));
  const char *header = "deployment_id,environment,name,kind,status,items,requested_by,requested_at,approvers,";
  CHECK(strncmp(out, header, strlen(header)) == 0);
  CHECK(strstr(out, "failures\r\n") != NULL);
  CHECK(strstr(out, p) != NULL);
  CHECK(strstr(out, "prompt_version/chatbot@1.1.0") != NULL);
  CHECK(strstr(out, "bob; carol") != NULL);
  size_t rows = 0;
  for (const char *c = out; (c = strstr(c, "\r\n")) != NULL; c += 2) rows++;
  CHECK(rows == 2);
  dg_string_free(out);
  CHECK_OK(dg_compliance_report_csv(e, "japm", "2030-01-01T00:00:00Z", TO, NULL, &out));
  CHECK(strchr(out, '\n') == strrchr(out, '\n')); /* header only */
  dg_string_free(out);
  REFUSED(dg_compliance_report_csv(e, "japm", TO, FROM, NULL, &out), I);
  REFUSED(dg_compliance_report_csv(e, "japm", FROM, "x", NULL, &out), I);
  REFUSED(dg_compliance_report_csv(e, "japm", FROM, TO, "nowhere", &out), N);
  REFUSED(dg_compliance_report_csv(NULL, "japm", FROM, TO, NULL, &out), I);
  CHECK_STATUS(dg_compliance_report_csv(e, "japm", FROM, TO, NULL, NULL), I);

  json_t *m = ok_json(dg_environment_metrics(e, "japm", "production", FROM, TO, &out), &out);
  CHECK_STREQ(jstr(m, "environment"), "production");
  CHECK(json_integer_value(jpath(m, "deployments_finished")) == 1 && json_integer_value(jpath(m, "succeeded")) == 1);
  CHECK(json_real_value(jpath(m, "success_rate")) == 1.0);
  CHECK(json_real_value(jpath(m, "change_failure_rate")) == 0.0);
  CHECK(json_is_null(jpath(m, "mean_time_to_roll_back_seconds")));
  json_decref(m);
  m = ok_json(dg_environment_metrics(e, "japm", "staging", FROM, TO, &out), &out);
  CHECK(json_integer_value(jpath(m, "deployments_finished")) == 0 && json_is_null(jpath(m, "success_rate")));
  json_decref(m);
  REFUSED(dg_environment_metrics(e, "japm", "production", TO, FROM, &out), I);
  REFUSED(dg_environment_metrics(e, "japm", "production", "1 Jan", TO, &out), I);
  CHECK_MESSAGE_HAS("`from` must be an RFC 3339 time");
  REFUSED(dg_environment_metrics(e, "japm", "production", FROM, NULL, &out), I);
  CHECK_MESSAGE_HAS("`to` must not be null");
  REFUSED(dg_environment_metrics(e, "japm", NULL, FROM, TO, &out), I);
  REFUSED(dg_environment_metrics(e, "japm", "nowhere", FROM, TO, &out), N);
  REFUSED(dg_environment_metrics(NULL, "japm", "production", FROM, TO, &out), I);
  free(p);
}

int main(void) {
  DgEngine *e = NULL;
  CHECK_OK(dg_engine_open(":memory:", &e));
  setup_japm(e);
  test_variables(e);
  test_artifacts(e);
  test_errors(e);
  test_reports(e);
  char *out = NULL;
  CHECK_OK(dg_audit_verify(e, &out));
  dg_string_free(out);
  dg_engine_free(e);
  printf("test_records: ok\n");
  return 0;
}
