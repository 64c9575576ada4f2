/* The C ABI on the PostgreSQL store: dg_engine_open() takes a postgres:// URL. Runs when
 * DEPLOYGOV_TEST_POSTGRES_URL is set (scripts/postgres.sh starts a throwaway server); otherwise
 * says so and passes. */
#include <unistd.h>

#include "fixture.h"

int main(void) {
  const char *base = getenv("DEPLOYGOV_TEST_POSTGRES_URL");
  if (base == NULL || base[0] == '\0') {
    printf("test_postgres: skipped (DEPLOYGOV_TEST_POSTGRES_URL is not set)\n");
    return 0;
  }
  /* A schema of its own (the engine creates it), so no other test's project `japm` is seen. */
  char url[1024];
  snprintf(url, sizeof url, "%s%coptions=-csearch_path%%3Dffi_c_%ld", base, strchr(base, '?') ? '&' : '?', (long)getpid());

  DgEngine *e = NULL;
  CHECK_OK(dg_engine_open(url, &e));
  setup_japm(e);
  char *id = request(e, "development", "pg",
                     "[{\"entity_type\":\"prompt_version\",\"entity_id\":\"chatbot\",\"version_tag\":\"1.1.0\"}]", ALICE);
  char *out = NULL;
  CHECK_OK(dg_deployment_execute(e, "japm", id, ALICE, NULL, NULL, NULL, &out));
  check_status_of(out, "deployed");

  /* A second engine on the same URL (another instance of a service) sees the same state. */
  DgEngine *again = NULL;
  CHECK_OK(dg_engine_open(url, &again));
  char *tag = NULL, *deployment = NULL;
  bool found = false;
  CHECK_OK(dg_active_version(again, "japm", "development", "prompt_version", "chatbot", &tag, &deployment, &found));
  CHECK(found);
  CHECK_STREQ(tag, "1.1.0");
  CHECK_STREQ(deployment, id);
  dg_string_free(tag);
  dg_string_free(deployment);
  CHECK_OK(dg_audit_verify(again, &out));
  json_t *v = take_json(out);
  CHECK(json_integer_value(jpath(v, "entries")) > 5);
  json_decref(v);

  /* An unreachable server is a storage error, not a SQLite file named like the URL. */
  DgEngine *bad = NULL;
  CHECK_STATUS(dg_engine_open("postgres://nobody@127.0.0.1:1/none", &bad), DG_ERROR_STORAGE);
  CHECK(bad == NULL);
  CHECK(access("postgres://nobody@127.0.0.1:1/none", F_OK) != 0);

  free(id);
  dg_engine_free(again);
  dg_engine_free(e);
  printf("test_postgres: ok\n");
  return 0;
}
