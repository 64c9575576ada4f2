/* A program outside the repository consuming the installed library (pkg-config or CMake). */
#include <deploygov.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  DgEngine *engine = NULL;
  char *out = NULL;
  if (dg_engine_open(":memory:", &engine) != DG_OK) return 1;
  int32_t status = dg_project_create(engine, "demo", "acme", "Demo", "{\"id\":\"ada\",\"roles\":[\"admin\"]}", &out);
  int good = status == DG_OK && strstr(out, "\"id\":\"demo\"") != NULL;
  dg_string_free(out);
  char *tag = NULL;
  bool found = true;
  good = good && dg_active_version(engine, "demo", "production", "prompt_version", "x", &tag, NULL, &found) == DG_OK && !found;
  dg_engine_free(engine);
  printf("consumer of deploygov %s: %s\n", dg_library_version(), good ? "ok" : "FAILED");
  return good ? 0 : 1;
}
