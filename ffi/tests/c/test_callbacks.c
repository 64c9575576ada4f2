/* Host callbacks: a failing executor (revert, messages, truncation) and custom validators
 * (findings, failures, ownership of user_data). */
#include <stdbool.h>

#include "fixture.h"

#define THREE_ITEMS                                                                            \
  "[{\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.1.0\"}," \
  "{\"entity_type\":\"prompt_asset_version\",\"entity_id\":\"templates\",\"version_tag\":\"2.0.0\"}," \
  "{\"entity_type\":\"ai_model\",\"entity_id\":\"gpt-x\",\"version_tag\":\"1.0.0\"}]"
#define ONE_ITEM "[{\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.1.0\"}]"

typedef struct {
  const char *fail_entity; /* fails this entity (not on revert) */
  int mode;                /* 0: short message, 1: fills the whole buffer, 2: no message */
  int calls, reverts;
} Failer;

static int32_t failing_executor(void *user_data, const DgActivation *a, char *message, size_t capacity) {
  Failer *f = user_data;
  f->calls++;
  if (a->revert) {
    f->reverts++;
    CHECK(a->version_tag == NULL); /* nothing was live before: revert removes */
    return 0;
  }
  if (strcmp(a->entity_id, f->fail_entity) != 0) return 0;
  CHECK(capacity == DG_EXECUTOR_MESSAGE_CAPACITY);
  if (f->mode == 0) snprintf(message, capacity, "cannot reach %s", a->entity_id);
  if (f->mode == 1) memset(message, 'x', capacity); /* no terminating NUL at all */
  return 7;
}

static void test_executor_failure(DgEngine *e) {
  char *out = NULL;
  char *id = request(e, "staging", "three", THREE_ITEMS, DAVE);
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", id, LENA, NULL, &out));
  Failer f = {"templates", 0, 0, 0};
  /* Execution ran: DG_OK, and the deployment reports the failure item by item. */
  CHECK_OK(dg_deployment_execute(e, "japm", id, LENA, NULL, failing_executor, &f, &out));
  json_t *v = take_json(out);
  CHECK_STREQ(jstr(v, "status"), "failed");
  CHECK_STREQ(jstr(v, "items.0.status"), "reverted");
  CHECK_STREQ(jstr(v, "items.1.status"), "failed");
  CHECK_STREQ(jstr(v, "items.1.error_message"), "cannot reach templates");
  CHECK_STREQ(jstr(v, "items.2.status"), "skipped");
  json_decref(v);
  CHECK(f.calls == 3 && f.reverts == 1);
  CHECK_OK(dg_active_state(e, "japm", "staging", &out));
  v = take_json(out);
  CHECK(json_array_size(v) == 0);
  json_decref(v);
  free(id);

  /* A message filling the whole buffer is cut, never overrun. */
  id = request(e, "staging", "long", ONE_ITEM, DAVE);
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", id, LENA, NULL, &out));
  Failer g = {"chatbot", 1, 0, 0};
  CHECK_OK(dg_deployment_execute(e, "japm", id, LENA, NULL, failing_executor, &g, &out));
  v = take_json(out);
  CHECK(strlen(jstr(v, "items.0.error_message")) == DG_EXECUTOR_MESSAGE_CAPACITY - 1);
  json_decref(v);
  free(id);

  /* A failure without a message names the returned status. */
  id = request(e, "staging", "silent", ONE_ITEM, DAVE);
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", id, LENA, NULL, &out));
  Failer h = {"chatbot", 2, 0, 0};
  CHECK_OK(dg_deployment_execute(e, "japm", id, LENA, NULL, failing_executor, &h, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "items.0.error_message"), "executor returned status 7");
  json_decref(v);

  /* A failed deployment cannot run again. */
  CHECK_STATUS(dg_deployment_execute(e, "japm", id, LENA, NULL, NULL, NULL, &out), DG_ERROR_INVALID_TRANSITION);
  free(id);
}

typedef struct {
  const char *reply;   /* findings JSON to reply with, or NULL */
  const char *error;   /* message for dg_validator_reply_error, or NULL */
  int32_t rc;          /* what the validator returns */
  int calls;
  int reply_status;    /* status of dg_validator_reply_findings */
  int saw_context;
  int *freed;          /* shared release counter */
} Rule;

static int32_t rule_validator(void *user_data, const char *context_json, DgValidatorReply *reply) {
  Rule *r = user_data;
  r->calls++;
  json_error_t err;
  json_t *ctx = json_loads(context_json, 0, &err);
  CHECK(ctx != NULL);
  const char *phase = jstr(ctx, "phase");
  if (phase != NULL && (strcmp(phase, "request") == 0 || strcmp(phase, "execute") == 0) && jstr(ctx, "environment.name") != NULL &&
      jstr(ctx, "deployment.id") != NULL) {
    r->saw_context++;
  }
  /* Secrets stay redacted for validators. */
  CHECK(strstr(context_json, "s3cret") == NULL);
  json_decref(ctx);
  if (r->reply != NULL) r->reply_status = dg_validator_reply_findings(reply, r->reply);
  if (r->error != NULL) CHECK_OK(dg_validator_reply_error(reply, r->error));
  return r->rc;
}

static void release_rule(void *user_data) {
  Rule *r = user_data;
  (*r->freed)++;
  free(r);
}

static Rule *rule(int *freed, const char *reply, const char *error, int32_t rc) {
  Rule *r = calloc(1, sizeof *r);
  CHECK(r != NULL);
  r->reply = reply;
  r->error = error;
  r->rc = rc;
  r->freed = freed;
  return r;
}

/* Requests in production (where the secret lives) and expects the status. */
static char *request_expect(DgEngine *e, int32_t expected) {
  const char *req = "{\"environment\":\"production\",\"name\":\"v\",\"items\":" ONE_ITEM "}";
  char *out = NULL;
  CHECK_STATUS(dg_deployment_request(e, "japm", req, ALICE, &out), expected);
  return out;
}

static json_t *last_findings(void) {
  char *f = dg_last_error_findings();
  CHECK(f != NULL);
  return take_json(f);
}

static void test_validators(void) {
  DgEngine *e = NULL;
  CHECK_OK(dg_engine_open(":memory:", &e));
  setup_japm(e);
  int freed = 0, registered = 0;

  Rule *warn = rule(&freed, "[{\"code\":\"translation_missing\",\"severity\":\"warning\",\"message\":\"no `de` text\",\"item\":0}]",
                    NULL, 0);
  CHECK_OK(dg_validator_register(e, "translations", rule_validator, warn, release_rule));
  registered++;
  json_t *v = take_json(request_expect(e, DG_OK));
  CHECK_STREQ(jstr(v, "warnings.0.code"), "translation_missing");
  json_decref(v);
  CHECK(warn->calls == 1 && warn->saw_context == 1 && warn->reply_status == DG_OK);
  CHECK(dg_last_error_findings() == NULL);

  /* An error finding refuses the request; the report is retrievable afterwards. */
  Rule *block = rule(&freed, "[{\"code\":\"compliance\",\"severity\":\"error\",\"message\":\"not signed off\"}]", NULL, 0);
  CHECK_OK(dg_validator_register(e, "compliance", rule_validator, block, release_rule));
  registered++;
  CHECK(request_expect(e, DG_ERROR_VALIDATION_FAILED) == NULL);
  CHECK_MESSAGE_HAS("`compliance`");
  CHECK(dg_last_error_code() == DG_ERROR_VALIDATION_FAILED);
  v = last_findings();
  CHECK_STREQ(jstr(v, "errors.0.code"), "compliance");
  CHECK(json_is_null(jpath(v, "errors.0.item")));
  CHECK_STREQ(jstr(v, "warnings.0.code"), "translation_missing");
  json_decref(v);
  bool existed = false;
  CHECK_OK(dg_validator_unregister(e, "compliance", &existed));
  CHECK(existed && freed == 1);
  CHECK_OK(dg_validator_unregister(e, "compliance", &existed));
  CHECK(!existed);
  CHECK_OK(dg_validator_unregister(e, "never-registered", NULL));

  /* Broken validators fail closed: malformed findings, a non-zero return, an explicit error. */
  Rule *broken = rule(&freed, "[{\"code\":", NULL, 0);
  CHECK_OK(dg_validator_register(e, "broken", rule_validator, broken, release_rule));
  registered++;
  CHECK(request_expect(e, DG_ERROR_VALIDATION_FAILED) == NULL);
  CHECK(broken->reply_status == DG_ERROR_INVALID_INPUT);
  v = last_findings();
  CHECK_STREQ(jstr(v, "errors.0.code"), "validator_failed");
  CHECK(strstr(jstr(v, "errors.0.message"), "`broken`") != NULL);
  json_decref(v);
  CHECK_OK(dg_validator_unregister(e, "broken", NULL));

  Rule *status = rule(&freed, NULL, NULL, 3);
  CHECK_OK(dg_validator_register(e, "status", rule_validator, status, release_rule));
  registered++;
  CHECK(request_expect(e, DG_ERROR_VALIDATION_FAILED) == NULL);
  v = last_findings();
  CHECK(strstr(jstr(v, "errors.0.message"), "validator returned status 3") != NULL);
  json_decref(v);
  CHECK_OK(dg_validator_unregister(e, "status", NULL));

  Rule *offline = rule(&freed, NULL, "scanner offline", 1);
  CHECK_OK(dg_validator_register(e, "scanner", rule_validator, offline, release_rule));
  registered++;
  CHECK(request_expect(e, DG_ERROR_VALIDATION_FAILED) == NULL);
  v = last_findings();
  CHECK(strstr(jstr(v, "errors.0.message"), "scanner offline") != NULL);
  json_decref(v);
  /* Findings are cleared by the next outcome. */
  char *out = NULL;
  CHECK_STATUS(dg_project_get(e, "nope", &out), DG_ERROR_NOT_FOUND);
  CHECK(dg_last_error_findings() == NULL);
  CHECK_OK(dg_validator_unregister(e, "scanner", NULL));

  /* Replacing a validator releases the old one's data. */
  int before = freed;
  CHECK_OK(dg_validator_register(e, "translations", rule_validator, rule(&freed, "[]", NULL, 0), release_rule));
  registered++;
  CHECK(freed == before + 1);

  /* Registration failures still take ownership. */
  CHECK_STATUS(dg_validator_register(e, "", rule_validator, rule(&freed, NULL, NULL, 0), release_rule), DG_ERROR_INVALID_INPUT);
  registered++;
  CHECK_MESSAGE_HAS("validator name must not be empty");
  CHECK_STATUS(dg_validator_register(e, "x", NULL, rule(&freed, NULL, NULL, 0), release_rule), DG_ERROR_INVALID_INPUT);
  registered++;
  CHECK_STATUS(dg_validator_register(NULL, "x", rule_validator, rule(&freed, NULL, NULL, 0), release_rule), DG_ERROR_INVALID_INPUT);
  registered++;
  CHECK_STATUS(dg_validator_register(e, "no-free", rule_validator, NULL, NULL), DG_OK);
  CHECK_OK(dg_validator_unregister(e, "no-free", NULL));

  /* Outside a validator call, the reply functions refuse NULL. */
  CHECK_STATUS(dg_validator_reply_findings(NULL, "[]"), DG_ERROR_INVALID_INPUT);
  CHECK_STATUS(dg_validator_reply_error(NULL, "x"), DG_ERROR_INVALID_INPUT);

  /* Freeing the engine releases what is still registered. */
  dg_engine_free(e);
  CHECK(freed == registered);
}

int main(void) {
  DgEngine *e = NULL;
  CHECK_OK(dg_engine_open(":memory:", &e));
  setup_japm(e);
  test_executor_failure(e);
  dg_engine_free(e);
  test_validators();
  printf("test_callbacks: ok\n");
  return 0;
}
