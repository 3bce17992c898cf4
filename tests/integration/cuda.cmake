# The CUDA plugins on a machine without a GPU (CI): listed as unavailable with
# the driver's reason; verify and run skip their cases and succeed; the GPU
# check script says it skipped.  On a machine with a GPU these are skipped
# (no_gpu.sh exits 77) and scripts/gpu-check.sh is the check instead.
set(NO_GPU ${CMAKE_CURRENT_SOURCE_DIR}/no_gpu.sh)
function(kb_expect_no_gpu name code)
  add_test(NAME integration.${name} COMMAND ${NO_GPU} ${EXPECT} ${code} ${ARGN})
  set_tests_properties(integration.${name} PROPERTIES SKIP_RETURN_CODE 77)
endfunction()

kb_expect_no_gpu(cuda_list_unavailable 0
  --has "^cuda [0-9.]+  backend cuda  UNAVAILABLE .*kb_cuda\\.so"
  --has "^cublas [0-9.]+  backend cuda  UNAVAILABLE .*kb_cublas\\.so"
  --has "^    reason: init failed: CUDA: "
  --has "^    softmax +online "
  --has "^    attention +flash2 "
  --has "^    matmul +tc "
  --has "^    quantize +vec "
  --has "^    matmul +lt "
  -- ${KB} list --plugin cuda --plugin cublas)

kb_expect_no_gpu(cuda_verify_skips 0
  --has "^SKIP  cuda\\.online +softmax .*plugin unavailable: init failed: CUDA: "
  --has "^SKIP  cuda\\.flash2 +attention "
  --has "^SKIP  cuda\\.vec +quantize "
  --has "^SKIP  cublas\\.lt +matmul .*plugin unavailable: init failed: CUDA: "
  --has "^verify: 0 passed, 0 failed, [1-9][0-9]* skipped"
  --lacks "^FAIL"
  -- ${KB} verify --suite smoke --plugin cuda --plugin cublas)

kb_expect_no_gpu(cuda_run_skips 0
  --has "^SKIP  cuda  [0-9]+ cases: plugin unavailable: init failed: CUDA: "
  --has "^SKIP  cublas  [0-9]+ cases: plugin unavailable: init failed: CUDA: "
  --has "^run: 0 timed, 0 failed, [1-9][0-9]* skipped"
  -- ${KB} run --suite smoke --op matmul --plugin cuda --plugin cublas --repetitions 1 --min-time 0.001)

kb_expect_no_gpu(gpu_check_skips 77
  --has "^gpu-check: SKIPPED: no NVIDIA"
  -- ${PROJECT_SOURCE_DIR}/scripts/gpu-check.sh ${CMAKE_CURRENT_BINARY_DIR}/gpu-check-out)

# gpu-check.sh's mechanics with a stand-in nvidia-smi (tests/integration/fake_gpu):
# every step runs, a GPU plugin that cannot start makes each step fail (nothing
# verified, nothing timed) rather than pass vacuously, and the table comes last.
add_test(NAME integration.gpu_check_dry_run
  COMMAND ${NO_GPU} ${CMAKE_COMMAND} -E env "PATH=${CMAKE_CURRENT_SOURCE_DIR}/fake_gpu:$ENV{PATH}"
          ${EXPECT} 1
          --has "^== gpu-check summary: Fake GPU"
          --has "^list +FAIL .*init failed: CUDA: "
          --has "^verify +FAIL .*nothing verified: verify: 0 passed"
          --has "^perf matmul +FAIL .*nothing timed"
          --has "^peak +ok "
          -- ${PROJECT_SOURCE_DIR}/scripts/gpu-check.sh --kbench ${KB} --quick --budget 120
             ${CMAKE_CURRENT_BINARY_DIR}/gpu-check-dry)
set_tests_properties(integration.gpu_check_dry_run PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
