/* One engine used from several threads at once: writers deploying their own entities and running
 * the sweep, readers on the hot path, per-thread last errors, a subscriber called from every
 * writing thread, and a close while calls are in flight.
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
    /* The periodic sweep runs concurrently with the other writers' executions: their leases (one
     * hour) hold, so it ends none of them. */
    CHECK_OK(dg_sweep(w->engine, &out));
    json_t *report = take_json(out);
    CHECK(json_array_size(jpath(report, "leases_expired")) == 0 && json_array_size(jpath(report, "approvals_expired")) == 0);
    json_decref(report);
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

/* A subscriber shared by the writer threads: counts deliveries, and checks that each thread sees
 * its own events in increasing order. */
typedef struct {
  atomic_int delivered;
  atomic_int freed;
} Counter;

static _Thread_local int64_t last_seq_seen;

static void count_event(void *user_data, const char *event_json) {
  Counter *c = user_data;
  json_error_t err;
  json_t *ev = json_loads(event_json, 0, &err);
  CHECK(ev != NULL);
  int64_t seq = json_integer_value(jpath(ev, "seq"));
  CHECK(seq > last_seq_seen);
  last_seq_seen = seq;
  json_decref(ev);
  atomic_fetch_add(&c->delivered, 1);
}

static void free_counter(void *user_data) { atomic_fetch_add(&((Counter *)user_data)->freed, 1); }

/* The number of events after `cursor`, counted page by page. */
static int events_since(DgEngine *e, int64_t cursor) {
  const uint32_t page_size = 1000;
  int total = 0;
  for (;;) {
    char *out = NULL;
    CHECK_OK(dg_events_after(e, NULL, cursor, &page_size, &out));
    json_t *page = take_json(out);
    size_t n = json_array_size(page);
    if (n > 0) cursor = json_integer_value(jpath(json_array_get(page, n - 1), "seq"));
    json_decref(page);
    if (n == 0) return total;
    total += (int)n;
  }
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

static void run(DgEngine *e, Counter *counter) {
  pthread_t threads[THREADS];
  Worker workers[THREADS];
  char *out = NULL;
  for (int i = 0; i < THREADS; i++) {
    char spec[64];
    snprintf(spec, sizeof spec, "{\"name\":\"dev-%d\",\"policy\":{}}", i);
    CHECK_OK(dg_environment_create(e, "japm", spec, ALICE, &out));
    dg_string_free(out);
  }
  int before = events_since(e, 0);
  CHECK_OK(dg_subscriber_register(e, "counter", count_event, counter, free_counter));
  for (int i = 0; i < THREADS; i++) {
    workers[i].engine = e;
    workers[i].index = i;
    workers[i].deployed = 0;
    atomic_store(&workers[i].reads, 0);
    CHECK(pthread_create(&threads[i], NULL, deploy_worker, &workers[i]) == 0);
  }
  for (int i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  for (int i = 0; i < THREADS; i++) CHECK(workers[i].deployed == ROUNDS);
  /* Every event the writers committed was delivered exactly once. */
  CHECK(atomic_load(&counter->delivered) == events_since(e, 0) - before);
  CHECK(atomic_load(&counter->delivered) >= THREADS * ROUNDS * 4);

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
  CHECK(atomic_load(&counter->freed) == 0);
  CHECK_OK(dg_engine_close(e));
  for (int i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  /* Once closed and every call returned, the engine is dropped and the subscriber released. */
  CHECK(atomic_load(&counter->freed) == 1);
}

int main(int argc, char **argv) {
  const char *tmpdir = argc > 1 ? argv[1] : "/tmp";
  char path[1024];
  snprintf(path, sizeof path, "%s/threads.db", tmpdir);
  remove_db(path);
  const char *paths[] = {":memory:", path};
  for (int p = 0; p < 2; p++) {
    DgEngine *e = NULL;
    Counter counter;
    atomic_store(&counter.delivered, 0);
    atomic_store(&counter.freed, 0);
    CHECK_OK(dg_engine_open(paths[p], &e));
    setup_japm(e);
    run(e, &counter);
    dg_engine_free(e);
    CHECK(atomic_load(&counter.freed) == 1);
  }
  printf("test_threads: ok\n");
  return 0;
}
