/* Host callbacks: a failing executor (revert, messages, truncation), custom validators
 * (findings, failures, ownership of user_data, calls back into the engine), event subscribers
 * (order, signatures, unregistering, ownership of user_data, calls back into the engine) and
 * executors that hang past their lease (the sweep or an admin ends the execution; the late report
 * is a conflict). */
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

typedef struct {
  DgEngine *engine;
  int calls;
  int32_t status; /* of the dg_active_state call made from inside */
  size_t live;
  int context_keys_ok;
} Reader;

/* A validator that reads the engine from inside: validators run with no store lock held. */
static int32_t reading_validator(void *user_data, const char *context_json, DgValidatorReply *reply) {
  Reader *r = user_data;
  r->calls++;
  json_error_t err;
  json_t *ctx = json_loads(context_json, 0, &err);
  CHECK(ctx != NULL);
  /* The core's serde form of ValidationContext: exactly these members, in this order. */
  if (json_object_size(ctx) == 3 && strncmp(context_json, "{\"phase\":", 9) == 0 && json_is_object(jpath(ctx, "environment")) &&
      json_is_object(jpath(ctx, "deployment"))) {
    r->context_keys_ok++;
  }
  char *out = NULL;
  r->status = dg_active_state(r->engine, jstr(ctx, "environment.project_id"), jstr(ctx, "environment.name"), &out);
  json_decref(ctx);
  if (r->status != DG_OK) return dg_validator_reply_error(reply, "dg_active_state failed inside the validator"), 1;
  json_t *state = take_json(out);
  r->live = json_array_size(state);
  json_decref(state);
  char findings[200];
  snprintf(findings, sizeof findings, "[{\"code\":\"looked\",\"severity\":\"warning\",\"message\":\"%zu live\",\"item\":null}]",
           r->live);
  return dg_validator_reply_findings(reply, findings) == DG_OK ? 0 : 1;
}

static void test_reentrant_validator(void) {
  DgEngine *e = NULL;
  CHECK_OK(dg_engine_open(":memory:", &e));
  setup_japm(e);
  Reader r = {e, 0, -1, 99, 0};
  CHECK_OK(dg_validator_register(e, "reader", reading_validator, &r, NULL));
  char *out = NULL;
  char *id = request(e, "staging", "first", ONE_ITEM, DAVE);
  CHECK(r.calls == 1 && r.status == DG_OK && r.live == 0);
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", id, LENA, NULL, &out));
  CHECK_OK(dg_deployment_execute(e, "japm", id, DAVE, NULL, NULL, NULL, &out));
  json_t *v = take_json(out);
  CHECK_STREQ(jstr(v, "status"), "deployed");
  CHECK_STREQ(jstr(v, "warnings.0.code"), "looked");
  json_decref(v);
  CHECK(r.calls == 2 && r.status == DG_OK && r.live == 0);
  free(id);
  /* The next request's validator sees what the first one made live. */
  id = request(e, "staging", "second", "[{\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.2.0\"}]",
               DAVE);
  CHECK(r.calls == 3 && r.status == DG_OK && r.live == 1 && r.context_keys_ok == 3);
  CHECK_OK(dg_deployment_get(e, "japm", id, &out));
  v = take_json(out);
  CHECK_STREQ(jstr(v, "warnings.0.message"), "1 live");
  json_decref(v);
  free(id);
  dg_engine_free(e);
}

typedef struct {
  DgEngine *engine;
  json_t *kinds; /* the kinds received, in order */
  int signed_events;
  int matches_outbox; /* delivered event == the outbox's record, read from inside */
  int freed;
} Sink;

static void sink_event(void *user_data, const char *event_json) {
  Sink *s = user_data;
  json_error_t err;
  json_t *ev = json_loads(event_json, 0, &err);
  CHECK(ev != NULL);
  json_array_append_new(s->kinds, json_string(jstr(ev, "kind")));
  if (jstr(ev, "signature") != NULL) s->signed_events++;
  /* After the commit: the event is in the outbox, and the engine may be called from here. */
  const uint32_t one = 1;
  char *out = NULL;
  CHECK_OK(dg_events_after(s->engine, NULL, json_integer_value(jpath(ev, "seq")) - 1, &one, &out));
  json_t *stored = take_json(out);
  if (json_equal(json_array_get(stored, 0), ev)) s->matches_outbox++;
  json_decref(stored);
  /* A failing call from inside does not leak into the command's outcome. */
  CHECK_STATUS(dg_project_get(s->engine, "nope", &out), DG_ERROR_NOT_FOUND);
  json_decref(ev);
}

static void sink_free(void *user_data) { ((Sink *)user_data)->freed++; }

static void count_event(void *user_data, const char *event_json) {
  CHECK(event_json != NULL && event_json[0] == '{');
  (*(int *)user_data)++;
}

static void count_free(void *user_data) { (*(int *)user_data) += 1000; }

/* The kinds `s` received equal `want` (NULL-terminated). */
static void check_kinds(const Sink *s, const char *const *want) {
  size_t n = 0;
  for (; want[n] != NULL; n++) CHECK_STREQ(json_string_value(json_array_get(s->kinds, n)), want[n]);
  CHECK(json_array_size(s->kinds) == n);
}

static void test_subscribers(void) {
  DgEngine *e = NULL;
  char *out = NULL;
  CHECK_OK(dg_engine_open(":memory:", &e));
  setup_japm(e);
  Sink sink = {e, json_array(), 0, 0, 0};
  CHECK_OK(dg_subscriber_register(e, "sink", sink_event, &sink, sink_free));
  int counted = 0;
  CHECK_OK(dg_subscriber_register(e, "counter", count_event, &counted, count_free));
  const uint8_t key[] = "k";
  CHECK_OK(dg_event_signing_key_set(e, key, 1));

  register_version(e, "ai_model", "gpt-y", "1.0.0");
  char *id = request(e, "staging", "events", ONE_ITEM, DAVE);
  CHECK_STATUS(dg_deployment_approve(e, "japm", id, DAVE, NULL, &out), DG_ERROR_SELF_APPROVAL); /* refused: no event */
  CHECK_OK_DISCARD(dg_deployment_approve(e, "japm", id, LENA, NULL, &out));
  CHECK_OK(dg_deployment_execute(e, "japm", id, DAVE, NULL, NULL, NULL, &out));
  /* The subscriber's own failed call left no trace in the command's outcome. */
  CHECK(dg_last_error_code() == DG_OK && dg_last_error_message() == NULL);
  check_status_of(out, "deployed");
  CHECK_OK_DISCARD(dg_deployment_check(e, "japm", id, DAVE, "rollback", &out)); /* reads publish nothing */
  const char *const shipped[] = {"version.registered", "deployment.requested", "deployment.approval_granted", "deployment.approved",
                                 "deployment.deploying", "deployment.deployed", NULL};
  check_kinds(&sink, shipped);
  CHECK(sink.signed_events == 6 && sink.matches_outbox == 6 && counted == 6);

  /* Unregistering stops delivery and releases user_data once; the other subscriber goes on. */
  bool existed = false;
  CHECK_OK(dg_subscriber_unregister(e, "sink", &existed));
  CHECK(existed && sink.freed == 1);
  CHECK_OK(dg_subscriber_unregister(e, "sink", &existed));
  CHECK(!existed && sink.freed == 1);
  CHECK_OK(dg_subscriber_unregister(e, "never-registered", NULL));
  CHECK_OK_DISCARD(dg_health_set(e, "japm", "staging", "degraded", ALICE, &out));
  check_kinds(&sink, shipped);
  CHECK(counted == 7);

  /* Replacing a subscriber releases the old one's data; a NULL free function is allowed. */
  CHECK_OK(dg_subscriber_register(e, "counter", count_event, &counted, NULL));
  CHECK(counted == 1007);
  CHECK_OK_DISCARD(dg_health_set(e, "japm", "staging", "healthy", ALICE, &out));
  CHECK(counted == 1008);
  CHECK_OK(dg_subscriber_unregister(e, "counter", NULL));
  CHECK(counted == 1008);

  /* A subscriber still registered is released with the engine. */
  Sink last = {e, json_array(), 0, 0, 0};
  CHECK_OK(dg_subscriber_register(e, "last", sink_event, &last, sink_free));
  dg_engine_free(e);
  CHECK(last.freed == 1 && json_array_size(last.kinds) == 0);
  json_decref(last.kinds);
  json_decref(sink.kinds);
  free(id);
}

#define ROOT "{\"id\":\"root\",\"roles\":[\"admin\"]}"
#define CHATBOT(tag) "[{\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"" tag "\"}]"

/* A host that hangs past its lease (core/tests/governance.rs): its executor lets the engine's
 * clock run past the lease and calls the periodic sweep, or has an admin release the lease. */
typedef struct {
  DgEngine *engine;
  int64_t now;      /* the engine's clock, microseconds since the epoch */
  const char *self; /* the deployment being executed */
  const char *next; /* a deployment waiting for the environment */
  json_t *report;   /* the sweep's report, read inside the executor */
  int calls;
  int32_t released_by_dev; /* status of a developer's dg_lease_release */
  char *released;          /* the deployment as an admin's dg_lease_release returned it */
} Hang;

static int64_t hang_now(void *user_data) { return ((Hang *)user_data)->now; }

/* Hangs past the lease; meanwhile the periodic sweep runs. */
static int32_t hang_past_lease(void *user_data, const DgActivation *a, char *message, size_t capacity) {
  Hang *h = user_data;
  (void)a, (void)message, (void)capacity;
  h->calls++;
  char *out = NULL;
  CHECK_OK(dg_sweep(h->engine, &out));
  json_t *v = take_json(out);
  CHECK(json_array_size(jpath(v, "leases_expired")) == 0); /* not before the lease ends */
  json_decref(v);
  h->now += 3600 * 1000000LL; /* the default lease: one hour */
  CHECK_OK(dg_sweep(h->engine, &out));
  h->report = take_json(out);
  /* The environment is free again: another deployment may run now. */
  CHECK_OK(dg_deployment_check(h->engine, "japm", h->next, ALICE, "execute", &out));
  v = take_json(out);
  CHECK(json_is_true(jpath(v, "allowed")));
  json_decref(v);
  return 0; /* the late report */
}

/* Hangs; an admin releases the lease meanwhile (a developer may not). */
static int32_t hang_until_released(void *user_data, const DgActivation *a, char *message, size_t capacity) {
  Hang *h = user_data;
  (void)a, (void)message, (void)capacity;
  h->calls++;
  char *out = NULL;
  h->released_by_dev = dg_lease_release(h->engine, "japm", h->self, DAVE, "stuck", &out);
  CHECK(out == NULL);
  CHECK_OK(dg_lease_release(h->engine, "japm", h->self, ROOT, "host crashed", &h->released));
  return 0;
}

/* The last audit entry of a deployment. */
static json_t *last_audit(DgEngine *e, const char *id) {
  char *out = NULL;
  CHECK_OK(dg_audit_log(e, "japm", id, 0, NULL, &out));
  json_t *all = take_json(out);
  CHECK(json_array_size(all) > 0);
  json_t *last = json_incref(json_array_get(all, json_array_size(all) - 1));
  json_decref(all);
  return last;
}

static void test_lease_expiry(void) {
  Hang h = {NULL, 1768467600000000LL, NULL, NULL, NULL, 0, DG_OK, NULL}; /* 2026-01-15T09:00:00Z */
  CHECK_OK(dg_engine_open_with_clock(":memory:", hang_now, &h, NULL, &h.engine));
  DgEngine *e = h.engine;
  char *out = NULL;
  setup_japm(e);
  register_version(e, "prompt_version", "chatbot", "1.3.0");
  char *base = request(e, "development", "base", CHATBOT("1.1.0"), ALICE);
  CHECK_OK(dg_deployment_execute(e, "japm", base, ALICE, NULL, NULL, NULL, &out));
  check_status_of(out, "deployed");
  char *stuck = request(e, "development", "stuck", CHATBOT("1.2.0"), ALICE);
  char *next = request(e, "development", "next", CHATBOT("1.3.0"), ALICE);
  h.self = stuck;
  h.next = next;

  /* The late report is refused: the sweep already ended the execution. */
  out = (char *)"untouched";
  CHECK_STATUS(dg_deployment_execute(e, "japm", stuck, ALICE, NULL, hang_past_lease, &h, &out), DG_ERROR_CONFLICT);
  CHECK(out == (char *)"untouched" && h.calls == 1);
  CHECK_MESSAGE_HAS("changed while it was executing");
  CHECK(json_array_size(jpath(h.report, "leases_expired")) == 1);
  CHECK_STREQ(jstr(h.report, "leases_expired.0"), stuck);
  CHECK(json_array_size(jpath(h.report, "approvals_expired")) == 0);
  CHECK_OK(dg_deployment_get(e, "japm", stuck, &out));
  json_t *v = take_json(out);
  CHECK_STREQ(jstr(v, "status"), "failed");
  CHECK_STREQ(jstr(v, "items.0.status"), "failed");
  CHECK(strstr(jstr(v, "items.0.error_message"), "lease expired") != NULL);
  CHECK(json_is_null(jpath(v, "lease_expires_at")));
  json_decref(v);
  /* The active state is untouched. */
  char *tag = NULL;
  bool found = false;
  CHECK_OK(dg_active_version(e, "japm", "development", "prompt_version", "chatbot", &tag, NULL, &found));
  CHECK(found);
  CHECK_STREQ(tag, "1.1.0");
  dg_string_free(tag);
  v = last_audit(e, stuck);
  CHECK_STREQ(jstr(v, "action"), "deployment.lease_expired");
  CHECK_STREQ(jstr(v, "actor_id"), "deploygov:sweep");
  json_decref(v);

  /* Nothing left to sweep; the next deployment runs. */
  CHECK_OK(dg_sweep(e, &out));
  v = take_json(out);
  CHECK(json_array_size(jpath(v, "leases_expired")) == 0 && json_array_size(jpath(v, "approvals_expired")) == 0);
  json_decref(v);
  CHECK_OK(dg_deployment_execute(e, "japm", next, ALICE, NULL, NULL, NULL, &out));
  check_status_of(out, "deployed");
  CHECK_OK_DISCARD(dg_audit_verify(e, &out));
  json_decref(h.report);
  free(base);
  free(stuck);
  free(next);
  dg_engine_free(e);
}

static void test_lease_release(void) {
  Hang h = {NULL, 1768467600000000LL, NULL, NULL, NULL, 0, DG_OK, NULL};
  CHECK_OK(dg_engine_open_with_clock(":memory:", hang_now, &h, NULL, &h.engine));
  DgEngine *e = h.engine;
  char *out = NULL;
  setup_japm(e);
  char *id = request(e, "development", "hangs", CHATBOT("1.1.0"), ALICE);
  h.self = id;
  CHECK_STATUS(dg_deployment_execute(e, "japm", id, ALICE, NULL, hang_until_released, &h, &out), DG_ERROR_CONFLICT);
  CHECK_MESSAGE_HAS("changed while it was executing");
  CHECK(h.calls == 1 && h.released_by_dev == DG_ERROR_FORBIDDEN);
  check_status_of(h.released, "failed");
  json_t *v = last_audit(e, id);
  CHECK_STREQ(jstr(v, "action"), "deployment.lease_released");
  CHECK_STREQ(jstr(v, "actor_id"), "root");
  CHECK_STREQ(jstr(v, "reason"), "host crashed");
  json_decref(v);
  CHECK_OK(dg_active_state(e, "japm", "development", &out));
  v = take_json(out);
  CHECK(json_is_array(v) && json_array_size(v) == 0);
  json_decref(v);
  CHECK_STATUS(dg_lease_release(e, "japm", id, ROOT, "again", &out), DG_ERROR_INVALID_TRANSITION);
  CHECK_MESSAGE_HAS("`failed`");
  free(id);
  dg_engine_free(e);
}

int main(void) {
  DgEngine *e = NULL;
  CHECK_OK(dg_engine_open(":memory:", &e));
  setup_japm(e);
  test_executor_failure(e);
  dg_engine_free(e);
  test_validators();
  test_reentrant_validator();
  test_subscribers();
  test_lease_expiry();
  test_lease_release();
  printf("test_callbacks: ok\n");
  return 0;
}
