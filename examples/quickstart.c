/* deploygov from C: the JAPM production workflow.
 *
 * Request a release, see the requester's own approval refused (4-eyes), approve it twice,
 * execute it through an executor callback, roll it back, verify the audit chain, read the
 * event outbox (also delivered, in process, to a subscriber), ask what was live at a past
 * instant, run the periodic sweep, quarantine the rolled-back version and schedule a release.
 *
 * Build (from the repository, after `cargo build --release -p deploygov-ffi`):
 *   cc -std=c11 -Iinclude examples/quickstart.c target/release/libdeploygov.a -lpthread -ldl -lm
 * or, after `ffi/install.sh PREFIX`:
 *   cc examples/quickstart.c $(pkg-config --cflags --libs deploygov)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploygov.h"

#define ALICE "{\"id\":\"alice\",\"roles\":[\"admin\"]}"
#define BOB "{\"id\":\"bob\",\"roles\":[\"admin\"]}"
#define CAROL "{\"id\":\"carol\",\"roles\":[\"tenant_admin\"]}"

/* Stops on any unexpected status, printing the library's message. */
static void ok(int32_t status, const char *what) {
  if (status == DG_OK) return;
  char *message = dg_last_error_message();
  fprintf(stderr, "%s failed: %s: %s\n", what, dg_error_name(status), message);
  dg_string_free(message);
  exit(1);
}

/* Copies the first string member `key` of a JSON result into `buf` (a real program would use its
 * JSON library). */
static void copy_field(const char *json, const char *key, char *buf, size_t len) {
  char marker[64];
  snprintf(marker, sizeof marker, "\"%s\":\"", key);
  const char *at = strstr(json, marker);
  buf[0] = '\0';
  if (at != NULL) {
    at += strlen(marker);
    size_t n = strcspn(at, "\"");
    snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), at);
  }
}

/* As copy_field, then releases the result. */
static void take_field(char *json, const char *key, char *buf, size_t len) {
  copy_field(json, key, buf, len);
  dg_string_free(json);
}

/* The executor: makes a version live in the host (here: prints it). 0 = success. */
static int32_t activate(void *user_data, const DgActivation *a, char *message, size_t capacity) {
  (void)user_data, (void)message, (void)capacity;
  printf("   executor: %s %s/%s -> %s\n", a->revert ? "revert" : "activate", a->entity_type, a->entity_id,
         a->version_tag ? a->version_tag : "(removed)");
  return 0;
}

/* A subscriber: gets each event's JSON after its transaction commits (here: counts them; a real
 * host would hand them to a queue). */
static void on_event(void *user_data, const char *event_json) {
  (void)event_json;
  (*(int *)user_data)++;
}

/* Requests `tag` of the chatbot prompt in production as alice; writes the deployment id. */
static void request(DgEngine *e, const char *tag, char *id, size_t len) {
  char req[256];
  snprintf(req, sizeof req,
           "{\"environment\":\"production\",\"name\":\"chatbot-%s\",\"items\":[{\"entity_type\":\"prompt_version\","
           "\"entity_id\":\"chatbot\",\"version_tag\":\"%s\"}]}", tag, tag);
  char *out = NULL;
  ok(dg_deployment_request(e, "japm", req, ALICE, &out), "request");
  take_field(out, "id", id, len);
}

/* Two admins approve, then the deployment is executed through the executor; writes when it went
 * live into `deployed_at` unless that is NULL. */
static void approve_and_execute(DgEngine *e, const char *id, char *deployed_at, size_t len) {
  char *out = NULL, status[32];
  ok(dg_deployment_approve(e, "japm", id, BOB, "{\"comment\":\"lgtm\"}", &out), "approve (bob)");
  dg_string_free(out);
  ok(dg_deployment_approve(e, "japm", id, CAROL, NULL, &out), "approve (carol)");
  take_field(out, "status", status, sizeof status);
  printf("   after two approvals: %s\n", status);
  ok(dg_deployment_execute(e, "japm", id, BOB, NULL, activate, NULL, &out), "execute");
  if (deployed_at != NULL) copy_field(out, "deployed_at", deployed_at, len);
  take_field(out, "status", status, sizeof status);
  printf("   after execution: %s\n", status);
}

static void print_live(DgEngine *e) {
  char *tag = NULL;
  bool found = false;
  ok(dg_active_version(e, "japm", "production", "prompt_version", "chatbot", &tag, NULL, &found), "active version");
  printf("   live in production: chatbot %s\n", found ? tag : "(nothing)");
  dg_string_free(tag);
}

int main(void) {
  DgEngine *e = NULL;
  char *out = NULL, first[64], second[64], shipped[64];
  ok(dg_engine_open(":memory:", &e), "open"); /* or a file path such as "gov.db" */
  int delivered = 0; /* borrowed by the subscriber until the engine is freed (no free function) */
  ok(dg_subscriber_register(e, "counter", on_event, &delivered, NULL), "subscribe");

  ok(dg_project_create(e, "japm", "acme", "JAPM", ALICE, &out), "create project");
  dg_string_free(out);
  /* No policy given: production gets the default (2 admin approvals, 4-eyes, admins request). */
  ok(dg_environment_create(e, "japm", "{\"name\":\"production\"}", ALICE, &out), "create environment");
  dg_string_free(out);
  const char *versions[] = {"1.1.0", "1.2.0"};
  for (int i = 0; i < 2; i++) {
    char spec[128];
    snprintf(spec, sizeof spec, "{\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"%s\"}", versions[i]);
    ok(dg_version_register(e, "japm", spec, ALICE, &out), "register version");
    dg_string_free(out);
  }

  printf("1. release 1.1.0\n");
  request(e, "1.1.0", first, sizeof first);
  approve_and_execute(e, first, shipped, sizeof shipped);

  printf("2. release 1.2.0, requested by alice\n");
  request(e, "1.2.0", second, sizeof second);
  int32_t status = dg_deployment_approve(e, "japm", second, ALICE, NULL, &out);
  char *why = dg_last_error_message();
  printf("   alice approves her own request: %s (%s)\n", dg_error_name(status), why);
  dg_string_free(why);
  if (status != DG_ERROR_SELF_APPROVAL) return 1;
  approve_and_execute(e, second, NULL, 0);
  print_live(e);

  printf("3. roll back 1.2.0\n");
  ok(dg_deployment_rollback(e, "japm", second, ALICE, "{\"reason\":\"bad answers\"}", activate, NULL, &out), "rollback");
  char kind[32];
  take_field(out, "kind", kind, sizeof kind);
  printf("   created a `%s` deployment\n", kind);
  print_live(e);

  printf("4. audit chain\n");
  ok(dg_audit_verify(e, &out), "verify audit");
  printf("   verified: %s\n", out);
  dg_string_free(out);

  printf("5. event outbox\n");
  ok(dg_events_after(e, "japm", 0, NULL, &out), "events"); /* a host publishes these, keeping the last seq */
  int stored = 0;
  for (const char *at = strstr(out, "\"seq\":"); at != NULL; at = strstr(at + 1, "\"seq\":")) stored++;
  dg_string_free(out);
  printf("   %d events in the outbox, %d delivered to the subscriber\n", stored, delivered);

  printf("6. point in time and the periodic sweep\n");
  /* Any RFC 3339 time; here the instant 1.1.0 went live. */
  ok(dg_active_state_at(e, "japm", "production", shipped, &out), "active state at");
  char tag[32], executed_by[64];
  copy_field(out, "version_tag", tag, sizeof tag);
  take_field(out, "executed_by", executed_by, sizeof executed_by);
  printf("   at %s production ran chatbot %s, executed by %s\n", shipped, tag, executed_by);
  /* A host runs this periodically: executions whose lease expired fail, expired approvals lapse. */
  ok(dg_sweep(e, &out), "sweep");
  printf("   sweep: %s\n", out);
  dg_string_free(out);

  printf("7. quarantine and schedules\n");
  /* An admin keeps the rolled-back version out of new deployments until it is released. */
  ok(dg_version_quarantine(e, "japm", "prompt_version", "chatbot", "1.2.0", ALICE, "bad answers", &out), "quarantine");
  dg_string_free(out);
  const char *again = "{\"environment\":\"production\",\"name\":\"retry\",\"items\":[{\"entity_type\":\"prompt_version\","
                      "\"entity_id\":\"chatbot\",\"version_tag\":\"1.2.0\"}]}";
  status = dg_deployment_request(e, "japm", again, ALICE, &out);
  char *findings = dg_last_error_findings();
  printf("   requesting 1.2.0 again: %s (%s)\n", dg_error_name(status),
         findings != NULL && strstr(findings, "version_quarantined") != NULL ? "version_quarantined" : "?");
  dg_string_free(findings);
  if (status != DG_ERROR_VALIDATION_FAILED) return 1;
  /* A release for tonight: it may not run before scheduled_for; dg_deployments_due lists what may. */
  const char *tonight = "{\"environment\":\"production\",\"name\":\"tonight\",\"scheduled_for\":\"2999-01-01T22:00:00Z\","
                        "\"items\":[{\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.1.0\"}]}";
  ok(dg_deployment_request(e, "japm", tonight, ALICE, &out), "scheduled request");
  char scheduled_for[64];
  take_field(out, "scheduled_for", scheduled_for, sizeof scheduled_for);
  ok(dg_deployments_due(e, "japm", &out), "due");
  printf("   scheduled for %s; due now: %s\n", scheduled_for, out);
  dg_string_free(out);

  dg_engine_free(e);
  return 0;
}
