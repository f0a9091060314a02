// Sanitizer settings built into every fuzz target, so that a target run by
// hand (to reproduce a finding) behaves as under scripts/fuzz: undefined
// behaviour stops the run with a stack, except for the known findings listed
// in ubsan.supp.
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" NAVARCH_SOURCE_DIR
         "/tests/fuzz/ubsan.supp";
}
