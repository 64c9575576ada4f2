/* A tiny test harness for the C tests of deploygov: fail-fast checks and JSON helpers (jansson). */
#ifndef DG_TEST_CHECK_H
#define DG_TEST_CHECK_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploygov.h"

/* Fails the test program at the first broken check, naming the file, line and expression. */
#define CHECK(cond)                                                                \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
      exit(1);                                                                     \
    }                                                                              \
  } while (0)

/* Checks a call's status; on a mismatch prints the thread's last error message. */
#define CHECK_STATUS(call, expected)                                                          \
  do {                                                                                        \
    int32_t st_ = (call);                                                                     \
    if (st_ != (expected)) {                                                                  \
      char *m_ = dg_last_error_message();                                                     \
      fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s): %s\n", __FILE__,       \
              __LINE__, #call, st_, dg_error_name(st_) ? dg_error_name(st_) : "?",            \
              (int)(expected), dg_error_name(expected), m_ ? m_ : "(no message)");           \
      dg_string_free(m_);                                                                     \
      exit(1);                                                                                \
    }                                                                                         \
  } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, DG_OK)

#define CHECK_STREQ(a, b)                                                                     \
  do {                                                                                        \
    const char *a_ = (a), *b_ = (b);                                                          \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                                    \
      fprintf(stderr, "%s:%d: `%s` is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,     \
              a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                        \
      exit(1);                                                                                \
    }                                                                                         \
  } while (0)

/* The thread's last error message contains `needle`. */
#define CHECK_MESSAGE_HAS(needle)                                                             \
  do {                                                                                        \
    char *m_ = dg_last_error_message();                                                       \
    if (m_ == NULL || strstr(m_, (needle)) == NULL) {                                         \
      fprintf(stderr, "%s:%d: last error \"%s\" does not contain \"%s\"\n", __FILE__,        \
              __LINE__, m_ ? m_ : "(null)", (needle));                                        \
      dg_string_free(m_);                                                                     \
      exit(1);                                                                                \
    }                                                                                         \
    dg_string_free(m_);                                                                       \
  } while (0)

/* Parses a library string as JSON and releases the string (NULL-safe for the string). */
static inline json_t *take_json(char *s) {
  CHECK(s != NULL);
  json_error_t err;
  json_t *v = json_loads(s, JSON_DECODE_ANY, &err);
  if (v == NULL) {
    fprintf(stderr, "invalid json from the library (%s): %.200s\n", err.text, s);
    exit(1);
  }
  dg_string_free(s);
  return v;
}

/* A string member by dotted path ("items.0.status"); NULL when missing or not a string. */
static inline json_t *jpath(json_t *v, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  char *save = NULL;
  for (char *seg = strtok_r(buf, ".", &save); seg != NULL && v != NULL; seg = strtok_r(NULL, ".", &save)) {
    if (json_is_array(v)) {
      v = json_array_get(v, (size_t)strtoul(seg, NULL, 10));
    } else {
      v = json_object_get(v, seg);
    }
  }
  return v;
}

static inline const char *jstr(json_t *v, const char *path) { return json_string_value(jpath(v, path)); }

/* The `id` of a JSON object result, copied (free with free()). */
static inline char *take_id(char *s) {
  json_t *v = take_json(s);
  const char *id = jstr(v, "id");
  CHECK(id != NULL);
  char *copy = strdup(id);
  json_decref(v);
  return copy;
}

#endif
