/* Shared set-up for the C tests: actors and a JAPM project with three environments and a catalog. */
#ifndef DG_TEST_FIXTURE_H
#define DG_TEST_FIXTURE_H

#include "check.h"

#define ALICE "{\"id\":\"alice\",\"roles\":[\"admin\"]}"
#define BOB "{\"id\":\"bob\",\"roles\":[\"admin\"]}"
#define CAROL "{\"id\":\"carol\",\"roles\":[\"tenant_admin\"]}"
#define DAVE "{\"id\":\"dave\",\"roles\":[\"developer\"]}"
#define LENA "{\"id\":\"lena\",\"roles\":[\"lead\"]}"

/* Runs a call that returns a JSON string and discards the result. */
#define CHECK_OK_DISCARD(call_with_out)         \
  do {                                          \
    char *out = NULL;                           \
    CHECK_OK(call_with_out);                    \
    dg_string_free(out);                        \
  } while (0)

/* Removes a SQLite file and its WAL companions, so a test starts from an empty store. */
static inline void remove_db(const char *path) {
  char buf[1100];
  remove(path);
  snprintf(buf, sizeof buf, "%s-wal", path);
  remove(buf);
  snprintf(buf, sizeof buf, "%s-shm", path);
  remove(buf);
}

static inline void register_version(DgEngine *e, const char *type, const char *id, const char *tag) {
  char spec[512];
  snprintf(spec, sizeof spec, "{\"entity_type\":\"%s\",\"entity_id\":\"%s\",\"version_tag\":\"%s\"}", type, id, tag);
  CHECK_OK_DISCARD(dg_version_register(e, "japm", spec, ALICE, &out));
}

/* Project `japm` with development, staging and production (default policies) and a catalog. */
static inline void setup_japm(DgEngine *e) {
  CHECK_OK_DISCARD(dg_project_create(e, "japm", "acme", "JAPM", ALICE, &out));
  CHECK_OK_DISCARD(dg_environment_create(e, "japm", "{\"name\":\"development\"}", ALICE, &out));
  CHECK_OK_DISCARD(dg_environment_create(e, "japm", "{\"name\":\"staging\"}", ALICE, &out));
  CHECK_OK_DISCARD(dg_environment_create(
      e, "japm",
      "{\"name\":\"production\",\"variables\":[{\"key\":\"API_KEY\",\"value\":\"s3cret\",\"secret\":true},"
      "{\"key\":\"REGION\",\"value\":\"eu\"}]}",
      ALICE, &out));
  register_version(e, "prompt_version", "chatbot", "1.1.0");
  register_version(e, "prompt_version", "chatbot", "1.2.0");
  register_version(e, "prompt_asset_version", "templates", "2.0.0");
  register_version(e, "prompt_asset_version", "templates", "2.1.0");
  register_version(e, "ai_model", "gpt-x", "1.0.0");
}

/* Requests a deployment of `items_json` (a JSON array) and returns its id (free with free()). */
static inline char *request(DgEngine *e, const char *env, const char *name, const char *items_json, const char *actor) {
  size_t n = strlen(items_json) + 256;
  char *req = malloc(n);
  CHECK(req != NULL);
  snprintf(req, n, "{\"environment\":\"%s\",\"name\":\"%s\",\"items\":%s}", env, name, items_json);
  char *out = NULL;
  CHECK_OK(dg_deployment_request(e, "japm", req, actor, &out));
  free(req);
  return take_id(out);
}

/* The status of a deployment result, then releases it. */
static inline void check_status_of(char *json, const char *status) {
  json_t *v = take_json(json);
  CHECK_STREQ(jstr(v, "status"), status);
  json_decref(v);
}

#endif
