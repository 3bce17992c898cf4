# The cublas plugin's host-side decisions (plugins/cublas/lt_plan.c and
# lt_cache.c): the row-major -> column-major mapping against a brute-force
# column-major product, what matmul "lt" supports, the workspace layout and
# the algorithm cache.  Plain C, so it runs on machines without a GPU.
add_executable(test_cublas_plan ${CMAKE_CURRENT_LIST_DIR}/test_cublas_plan.c)
target_link_libraries(test_cublas_plan PRIVATE kb_cublas_plan m)
add_test(NAME unit.cublas_plan COMMAND test_cublas_plan)
