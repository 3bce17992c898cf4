# Planted regressions through kbench compare (docs/ci.md): the slow test
# plugin's knob makes a kernel 30% or 2% slower, or makes it stop verifying.
add_test(NAME integration.planted_regressions
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/regression.sh ${KB} ${TP}/kb_slow.so
          ${CMAKE_CURRENT_SOURCE_DIR}/data/regression.suite ${CMAKE_CURRENT_BINARY_DIR}/out/regression)
# Timing-sensitive: alone, so no other test competes for the cores.
set_tests_properties(integration.planted_regressions PROPERTIES RUN_SERIAL TRUE)
# The same with the CI recipe's --rounds 9 (docs/ci.md): repetitions in nine
# passes, each in fresh worker processes; a 30% slowdown must still stand out.
add_test(NAME integration.planted_regressions_rounds
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/regression.sh ${KB} ${TP}/kb_slow.so
          ${CMAKE_CURRENT_SOURCE_DIR}/data/regression.suite ${CMAKE_CURRENT_BINARY_DIR}/out/regression_rounds
          --rounds 9)
set_tests_properties(integration.planted_regressions_rounds PROPERTIES RUN_SERIAL TRUE)
