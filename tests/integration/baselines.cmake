# The baseline plugins (plugins/openblas, plugins/onednn; docs/baselines.md),
# when their libraries were found: they pass the smoke suite like any plugin,
# refuse what they cannot compute with the reason, and are timed by `run`.

if(TARGET kb_openblas)
  kb_expect(baseline_openblas_smoke 0
    --has "^PASS  openblas\\.sgemm +matmul +m=17,n=19,k=23,a=f16,c=f32 "
    --has "^PASS  openblas\\.sgemm +matmul +m=13,n=11,k=29,a=bf16,c=f32,alpha=0\\.5,beta=0\\.25 "
    --has "^PASS  openblas\\.sgemm_f32 +matmul +m=21,n=6,k=35,a=f32,c=f32,ta,beta=-1 "
    --has "^PASS  openblas\\.composed +attention +b=2,hq=4,hkv=2,sq=9,skv=23,d=24,dtype=f16,causal "
    --has "^PASS  openblas\\.composed +attention +b=1,hq=3,hkv=1,sq=21,skv=13,d=8,dtype=bf16,causal "
    --has "^SKIP  openblas\\.sgemm +matmul +m=15,n=17,k=41,a=i8,c=i32 +unsupported: OpenBLAS has no int8 GEMM"
    --has "^SKIP  openblas\\.sgemm_f32 +matmul +m=17,n=19,k=23,a=f16,c=f32 +unsupported: needs f32 A and B"
    --has "^verify: [1-9][0-9]* passed, 0 failed"
    --lacks "^FAIL"
    -- ${KB} verify --suite smoke --plugin openblas)
endif()

if(TARGET kb_onednn)
  # f32 always; int8 passes where the CPU has AVX-VNNI and is refused (not
  # exact) where oneDNN falls back to plain AVX2.
  kb_expect(baseline_onednn_smoke 0
    --has "^PASS  onednn\\.matmul +matmul +m=21,n=6,k=35,a=f32,c=f32,ta,beta=-1 "
    --has "^(PASS  onednn\\.matmul +matmul +m=6,n=9,k=130,a=i8,c=i32,ta,tb,beta=1,pad=5 |SKIP  onednn\\.matmul +matmul +m=6,n=9,k=130,a=i8.*not exact)"
    --has "^SKIP  onednn\\.matmul +matmul +m=17,n=19,k=23,a=f16,c=f32 +unsupported: oneDNN has no matmul for f16"
    --has "^verify: [1-9][0-9]* passed, 0 failed"
    --lacks "^FAIL"
    -- ${KB} verify --suite smoke --plugin onednn)
  # Capped at plain AVX2, oneDNN's int8 GEMM saturates: refused with the reason.
  add_test(NAME integration.baseline_onednn_avx2_int8
    COMMAND env ONEDNN_MAX_CPU_ISA=AVX2 ${EXPECT} 0
      --has "^SKIP  onednn\\.matmul +matmul +m=15,n=17,k=41,a=i8,c=i32 +unsupported: oneDNN's int8 GEMM at ISA avx2 .*not exact"
      --has "^PASS  onednn\\.matmul +matmul +m=21,n=6,k=35,a=f32"
      --lacks "^FAIL"
      -- ${KB} verify --suite smoke --op matmul --plugin onednn)
endif()

if(TARGET kb_openblas AND TARGET kb_onednn)
  kb_expect(baseline_run 0
    --has "^matmul +openblas\\.sgemm +m=17,n=19,k=23,a=f16,c=f32/threads=[0-9]+,bind=compact .* GFLOP/s"
    --has "^matmul +onednn\\.matmul +m=21,n=6,k=35,a=f32,c=f32,ta,beta=-1/threads=[0-9]+,bind=compact .* GFLOP/s"
    --has "^run: [1-9][0-9]* timed, 0 failed"
    -- ${KB} run --suite smoke --op matmul --plugin openblas,onednn --repetitions 2 --min-time 0.002 --warmup 0)
endif()
