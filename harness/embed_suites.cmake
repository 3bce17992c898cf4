# Turns a suite file into the body of a C string literal (why not xxd or
# #embed: C11 has no #embed, and a text literal keeps the suite readable in
# the binary and in a debugger).
function(kbench_suite_literal file outvar)
  file(READ "${file}" text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\n" "\\n\"\n\"" text "${text}")
  set(${outvar} "${text}" PARENT_SCOPE)
endfunction()
