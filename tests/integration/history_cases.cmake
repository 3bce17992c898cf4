# kbench history (docs/history.md): two real `kbench run --save` runs into a
# fresh results store, then the history of one op; and the command's errors.
# Included from tests/integration/CMakeLists.txt (KB, EXPECT, kb_expect).
set(HSTORE ${CMAKE_CURRENT_BINARY_DIR}/out/history-store)
set(HRUN ${KB} run --suite smoke --op quantize --plugin cpu --repetitions 3 --min-time 0.002 --warmup 0
    --save --results-dir ${HSTORE})

# A fresh store, then two runs into it, in this order (fixtures chain them,
# so `ctest -R history_show` runs all four).
add_test(NAME integration.history_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${HSTORE})
kb_expect(history_run1 0 --has "^saved: .*/history-store/[0-9a-f]+/[0-9T]+_[^/]+\\.json$" --lacks "history\\.sqlite" -- ${HRUN})
kb_expect(history_run2 0 --has "^saved: " --lacks "history\\.sqlite" -- ${HRUN})
set_tests_properties(integration.history_clean PROPERTIES FIXTURES_SETUP kb_history_clean)
set_tests_properties(integration.history_run1 PROPERTIES FIXTURES_REQUIRED kb_history_clean FIXTURES_SETUP kb_history_run1)
set_tests_properties(integration.history_run2 PROPERTIES FIXTURES_REQUIRED kb_history_run1 FIXTURES_SETUP kb_history_runs)

# Both runs of a quantize benchmark, oldest first: the first without a
# change, the second with one; three repetitions cannot be significant.
set(HDATE "20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]+[+-][0-9:]+")
kb_expect(history_show 0
  --has "^history: .*/history-store/history\\.sqlite: 2 runs on 1 machine, [0-9]+ benchmarks matching quantize"
  --has "^machine [0-9a-f]{12} \\(2 runs\\)$"
  --has "^quantize/cpu\\.basic/rows=[0-9]+,cols=[0-9]+.*/threads=[0-9]+,bind=compact$"
  --has "^  ${HDATE} +[0-9a-z]+ +[0-9.]+ [num]?s +- +[0-9.]+% +PASS$"
  --has "^  ${HDATE} +[0-9a-z]+ +[0-9.]+ [num]?s +[+-][0-9.]+% +[0-9.]+% +PASS"
  --has "^history: [0-9]+ change points?$"
  --lacks "^(softmax|attention|matmul)/"
  -- ${KB} history --results-dir ${HSTORE} --filter quantize)
kb_expect(history_no_match 0
  --has "^history: no benchmark in .*history\\.sqlite matches \\^softmax/"
  -- ${KB} history --db ${HSTORE}/history.sqlite --filter "^softmax/")
kb_expect(history_other_machine 0
  --has "^history: no benchmark in .*history\\.sqlite on machine 000000000000"
  -- ${KB} history --results-dir ${HSTORE} --fingerprint 000000000000)
set_tests_properties(integration.history_show integration.history_no_match integration.history_other_machine
  PROPERTIES FIXTURES_REQUIRED kb_history_runs)

# Errors: one line naming the thing at fault, exit 2.
kb_expect(history_missing_db 2
  --has "^kbench: history: /no/such\\.sqlite: No such file or directory$"
  -- ${KB} history --db /no/such.sqlite)
kb_expect(history_not_a_db 2
  --has "^kbench: history: .*/suites/smoke\\.suite: .*not a database"
  -- ${KB} history --db ${PROJECT_SOURCE_DIR}/harness/suites/smoke.suite)
kb_expect(history_bad_regex 2
  --has "^kbench: history: --filter '\\(': "
  -- ${KB} history --db /no/such.sqlite --filter "(")
kb_expect(history_bad_threshold 2
  --has "^kbench: history: --threshold needs a number in \\[0, 1e\\+06\\], got 'x'"
  -- ${KB} history --threshold x)
kb_expect(history_bad_alpha 2 --has "^kbench: history: --alpha needs a number in .0, 1., got '0'" -- ${KB} history --alpha 0)
kb_expect(history_unknown_option 2 --has "^kbench: history: unknown option '--frob'" -- ${KB} history --frob)
kb_expect(history_help 0 --has "^usage: kbench history" --has "--threshold PCT" -- ${KB} history --help)

# run --save records into RESULTS-DIR/history.sqlite; when it cannot, the
# run file is still saved, and the failure is one line and exit 2.
set(HBROKEN ${CMAKE_CURRENT_BINARY_DIR}/out/history-broken)
add_test(NAME integration.history_broken_setup
  COMMAND sh -c "rm -rf \"$0\" && mkdir -p \"$0/history.sqlite\"" ${HBROKEN})
set_tests_properties(integration.history_broken_setup PROPERTIES FIXTURES_SETUP kb_history_broken)
kb_expect(history_run_unrecordable 2
  --has "^saved: .*/history-broken/"
  --has "^kbench: .*/history-broken/history\\.sqlite: cannot open"
  -- ${KB} run --suite smoke --op quantize --kernel basic --plugin cpu --repetitions 2 --min-time 0.001 --warmup 0
     --save --results-dir ${HBROKEN})
set_tests_properties(integration.history_run_unrecordable PROPERTIES FIXTURES_REQUIRED kb_history_broken)
