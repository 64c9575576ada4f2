/* One engine used from several threads at once: writers deploying their own entities, readers
 * on the hot path, per-thread last errors, and a close while calls are in flight.
 * Usage: test_threads TMPDIR */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "fixture.h"

#define THREADS 6
#define ROUNDS 4

typedef struct {
  DgEngine *engine;
  int index;
  int deployed;
  atomic_int reads;
} Worker;

/* Each worker deploys versions of its own entity to its own environment (no approval: at most one
 * deployment runs per environment) and reads back. */
static void *deploy_worker(void *arg) {
  Worker *w = arg;
  char entity[32], env[32], spec[256], items[300], *out = NULL;
  snprintf(entity, sizeof entity, "prompt-%d", w->index);
  snprintf(env, sizeof env, "dev-%d", w->index);
  for (int round = 1; round <= ROUNDS; round++) {
    snprintf(spec, sizeof spec, "{\"entity_type\":\"prompt_version\",\"entity_id\":\"%s\",\"version_tag\":\"1.%d.0\"}", entity, round);
    CHECK_OK(dg_version_register(w->engine, "japm", spec, ALICE, &out));
    dg_string_free(out);
    snprintf(items, sizeof items, "[%s]", spec);
    char *id = request(w->engine, env, entity, items, DAVE);
    CHECK_OK(dg_deployment_execute(w->engine, "japm", id, DAVE, NULL, NULL, NULL, &out));
    check_status_of(out, "deployed");
    free(id);
    w->deployed++;
    char *tag = NULL;
    bool found = false;
    CHECK_OK(dg_active_version(w->engine, "japm", env, "prompt_version", entity, &tag, NULL, &found));
    char want[16];
    snprintf(want, sizeof want, "1.%d.0", round);
    CHECK(found);
    CHECK_STREQ(tag, want);
    dg_string_free(tag);
    /* This thread's last error is its own, whatever the other threads do. */
    CHECK_STATUS(dg_project_get(w->engine, entity, &out), DG_ERROR_NOT_FOUND);
    char needle[64];
    snprintf(needle, sizeof needle, "project `%s` does not exist", entity);
    CHECK_MESSAGE_HAS(needle);
  }
  return NULL;
}

/* Readers hammer the hot path until the engine is closed under them. */
static void *read_until_closed(void *arg) {
  Worker *w = arg;
  for (;;) {
    char *tag = NULL;
    bool found = false;
    int32_t st = dg_active_version(w->engine, "japm", "dev-0", "prompt_version", "prompt-0", &tag, NULL, &found);
    dg_string_free(tag);
    if (st != DG_OK) {
      CHECK(st == DG_ERROR_INVALID_INPUT);
      CHECK_MESSAGE_HAS("the engine is closed");
      return NULL;
    }
    atomic_fetch_add(&w->reads, 1);
  }
}

static void run(DgEngine *e) {
  pthread_t threads[THREADS];
  Worker workers[THREADS];
  char *out = NULL;
  for (int i = 0; i < THREADS; i++) {
    char spec[64];
    snprintf(spec, sizeof spec, "{\"name\":\"dev-%d\",\"policy\":{}}", i);
    CHECK_OK(dg_environment_create(e, "japm", spec, ALICE, &out));
    dg_string_free(out);
  }
  for (int i = 0; i < THREADS; i++) {
    workers[i].engine = e;
    workers[i].index = i;
    workers[i].deployed = 0;
    atomic_store(&workers[i].reads, 0);
    CHECK(pthread_create(&threads[i], NULL, deploy_worker, &workers[i]) == 0);
  }
  for (int i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  for (int i = 0; i < THREADS; i++) CHECK(workers[i].deployed == ROUNDS);

  for (int i = 0; i < THREADS; i++) {
    char env[32];
    snprintf(env, sizeof env, "dev-%d", i);
    CHECK_OK(dg_active_state(e, "japm", env, &out));
    json_t *state = take_json(out);
    CHECK(json_array_size(state) == 1);
    json_decref(state);
  }
  CHECK_OK(dg_deployment_list(e, "japm", "{\"status\":\"superseded\",\"limit\":500}", &out));
  json_t *v = take_json(out);
  CHECK(json_array_size(jpath(v, "items")) == THREADS * (ROUNDS - 1));
  json_decref(v);
  CHECK_OK(dg_audit_verify(e, &out));
  dg_string_free(out);

  /* Close while readers are in flight: each sees either an answer or "closed", never a crash. */
  for (int i = 0; i < THREADS; i++) {
    workers[i].engine = e;
    workers[i].index = i;
    workers[i].deployed = 0;
    atomic_store(&workers[i].reads, 0);
    CHECK(pthread_create(&threads[i], NULL, read_until_closed, &workers[i]) == 0);
  }
  while (atomic_load(&workers[0].reads) < 5) {
    /* let the readers get going */
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  CHECK_OK(dg_engine_close(e));
  for (int i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
}

int main(int argc, char **argv) {
  const char *tmpdir = argc > 1 ? argv[1] : "/tmp";
  char path[1024];
  snprintf(path, sizeof path, "%s/threads.db", tmpdir);
  remove_db(path);
  const char *paths[] = {":memory:", path};
  for (int p = 0; p < 2; p++) {
    DgEngine *e = NULL;
    CHECK_OK(dg_engine_open(paths[p], &e));
    setup_japm(e);
    run(e);
    dg_engine_free(e);
  }
  printf("test_threads: ok\n");
  return 0;
}
