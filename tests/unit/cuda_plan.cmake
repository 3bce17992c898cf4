# The cuda plugin's host-side decisions (plugins/cuda/plan_<op>.c): what each
# kernel supports and how it would be launched.  Plain C, so these run on
# machines without a GPU (CI included).
foreach(op softmax attention matmul quantize)
  add_executable(test_cuda_plan_${op} test_cuda_plan_${op}.c)
  target_link_libraries(test_cuda_plan_${op} PRIVATE kb_cuda_plan m)
  add_test(NAME unit.cuda_plan.${op} COMMAND test_cuda_plan_${op})
endforeach()
