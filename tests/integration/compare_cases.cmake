# kbench compare (docs/compare.md): the hand-made files of tests/data/results,
# every malformed input's one-line message and exit 2, the three output
# formats, and an A/A comparison of two real runs whose p-values are checked
# against scipy.  Included from tests/integration/CMakeLists.txt (kb_expect, KB).
set(CMP_DATA ${PROJECT_SOURCE_DIR}/tests/data/results)
set(CMP_OUT ${CMAKE_CURRENT_BINARY_DIR}/out)
file(MAKE_DIRECTORY ${CMP_OUT})

# --- the hand-made A/B: one of each verdict, one benchmark only in each file ---
kb_expect(compare_ab 1
  --has "^benchmark +base +new +change +p-value +verdict +note$"
  --has "^softmax/cpu\\.online/.*/threads=1,bind=compact +10\\.050 us +13\\.050 us +\\+29\\.9% +0\\.0079 +slower$"
  --has "^softmax/cpu\\.twopass/.* +\\+2\\.0% +0\\.0356 +same$"
  --has "^quantize/cpu\\.basic/.* noisy +cv 46\\.8% in NEW, above --max-cv 20%$"
  --has "^matmul/cpu\\.simple/.* failed +verified in BASE, fails in NEW: random#2: max error 3"
  --has "^softmax/broken\\.wrong_scale/.* fixed +failed in BASE"
  --has "^matmul/cpu\\.faster/.* -24\\.9% +0\\.0079 +faster$"
  --has "^only in BASE:$" --has "^  attention/cpu\\.rowwise/"
  --has "^only in NEW:$" --has "^  attention/cpu\\.online/"
  --has "^kbench: warning: compare: fewer than 9 repetitions \\(BASE 5, NEW 5\\): the U test has little power"
  --has "^compare: 6 matched: 1 slower, 1 faster, 1 same, 1 noisy, 1 failed, 1 fixed. geomean ratio 1\\.022$"
  -- ${KB} compare ${CMP_DATA}/base.json ${CMP_DATA}/new.json)
# The options move the lines: a 40% threshold, a looser --max-cv, --filter.
kb_expect(compare_options 1
  --has "^softmax/cpu\\.online/.* \\+29\\.9% +0\\.0079 +same$"
  --has "^quantize/cpu\\.basic/.* +same$"
  --has "^compare: 5 matched: 0 slower, 0 faster, 4 same, 0 noisy, 1 failed, 0 fixed. "
  --lacks "^only in"
  -- ${KB} compare ${CMP_DATA}/base.json ${CMP_DATA}/new.json --threshold 40% --max-cv 60 --alpha 0.01
     --filter "^(softmax|quantize|matmul)/cpu\\.")
kb_expect(compare_same_file 1
  --has "^compare: 7 matched: 0 slower, 0 faster, 6 same, 0 noisy, 1 failed, 0 fixed. geomean ratio 1\\.000$"
  --has "failed +still broken: fails in BASE and in NEW: max error 0\\.5"
  -- ${KB} compare ${CMP_DATA}/base.json ${CMP_DATA}/base.json)
kb_expect(compare_gbench_plain 0
  --has "^BM_memcpy/4096 +20\\.0 ns +30\\.0 ns +\\+50\\.0% +0\\.1000 +same$"
  --has "^compare: 2 matched: 0 slower, 0 faster, 2 same, 0 noisy, 0 failed, 0 fixed. geomean ratio 1\\.225$"
  -- ${KB} compare ${CMP_DATA}/gbench_a.json ${CMP_DATA}/gbench_b.json)
kb_expect(compare_placement 0
  --has "^kbench: warning: compare: 2 benchmarks of BASE are in NEW with another placement \\(e\\.g\\. BASE threads=1,bind=compact, NEW threads=2,bind=compact\\)"
  --has "^compare: 0 matched: "
  -- ${KB} compare ${CMP_DATA}/base.json ${CMP_DATA}/other_placement.json)

# --- malformed inputs: one line naming the file and the problem, exit 2 ---
foreach(case IN LISTS KB_MALFORMED_RESULT_FILES)
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 file)
  list(GET parts 1 message)
  kb_expect(compare_bad_${file} 2
    --has "^kbench: compare: ${CMP_DATA}/${file}\\.json: ${message}$"
    --lacks "^compare: "
    -- ${KB} compare ${CMP_DATA}/base.json ${CMP_DATA}/${file}.json)
endforeach()
kb_expect(compare_bad_base 2 --has "^kbench: compare: ${CMP_DATA}/empty\\.json: empty file$"
  -- ${KB} compare ${CMP_DATA}/empty.json ${CMP_DATA}/new.json)

# --- two machines: refused, unless asked for ---
kb_expect(compare_topology_mismatch 2
  --has "^kbench: compare: BASE and NEW come from different machines \\(fingerprints aaaaaaaaaaaa and bbbbbbbbbbbb\\). use --allow-topology-mismatch to compare anyway$"
  --lacks "^compare: "
  -- ${KB} compare ${CMP_DATA}/base.json ${CMP_DATA}/other_machine.json)
kb_expect(compare_topology_allowed 1
  --has "^kbench: warning: compare: BASE and NEW come from different machines \\(fingerprints aaaaaaaaaaaa and bbbbbbbbbbbb\\)"
  --has "^compare: 6 matched: 1 slower, "
  -- ${KB} compare --allow-topology-mismatch ${CMP_DATA}/base.json ${CMP_DATA}/other_machine.json)

# --- usage errors ---
kb_expect(compare_help 0 --has "^usage: kbench compare BASE NEW" --has "--allow-topology-mismatch" -- ${KB} compare --help)
kb_expect(compare_one_file 2 --has "^kbench: compare: expected two result files, BASE and NEW"
  -- ${KB} compare ${CMP_DATA}/base.json)
kb_expect(compare_bad_alpha 2 --has "^kbench: compare: --alpha needs a number in \\(0, 1\\), got '1\\.5'$"
  -- ${KB} compare --alpha 1.5 ${CMP_DATA}/base.json ${CMP_DATA}/new.json)
kb_expect(compare_bad_threshold 2 --has "^kbench: compare: --threshold needs a percentage in \\[0, 1000\\], got 'x'$"
  -- ${KB} compare --threshold x ${CMP_DATA}/base.json ${CMP_DATA}/new.json)
kb_expect(compare_bad_filter 2 --has "^kbench: compare: --filter '\\(': "
  -- ${KB} compare --filter "(" ${CMP_DATA}/base.json ${CMP_DATA}/new.json)
kb_expect(compare_two_formats 2 --has "^kbench: compare: --markdown and --json exclude each other$"
  -- ${KB} compare --json --markdown ${CMP_DATA}/base.json ${CMP_DATA}/new.json)
kb_expect(compare_unknown_option 2 --has "^kbench: compare: unknown option '--frob'"
  -- ${KB} compare --frob ${CMP_DATA}/base.json ${CMP_DATA}/new.json)

# Two helpers (";" cannot travel inside a CMake list, so not `sh -c` scripts):
# the first N lines of a command's stdout, with its exit code; a command's
# exit code with 1 mapped to 0 (an A/A may come out "slower" on a busy machine).
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/compare_head.sh [=[
n=$1; shift
out=$("$@" 2>/dev/null); rc=$?
printf '%s\n' "$out" | head -n "$n"
exit $rc
]=])
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/compare_01.sh [=[
"$@"; rc=$?
[ $rc -le 1 ] && exit 0
exit $rc
]=])
set(HEAD sh ${CMAKE_CURRENT_BINARY_DIR}/compare_head.sh)
set(EXIT01 sh ${CMAKE_CURRENT_BINARY_DIR}/compare_01.sh)

# --- the other formats: markdown starts with its table header, JSON parses ---
kb_expect(compare_markdown 1
  --has "^\\| benchmark \\| base \\| new \\| change \\| p-value \\| verdict \\| note \\|$"
  --lacks "^[^|]"
  -- ${HEAD} 2 ${KB} compare --markdown ${CMP_DATA}/base.json ${CMP_DATA}/new.json)
kb_expect(compare_markdown_body 1
  --has "^\\| `softmax/cpu\\.online/.*` \\| 10\\.050 us \\| 13\\.050 us \\| \\+29\\.9% \\| 0\\.0079 \\| \\*\\*slower\\*\\* \\|"
  --has "^> \\*\\*warning:\\*\\* compare: fewer than 9 repetitions"
  --has "^compare: 6 matched: 1 slower, "
  -- ${KB} compare --markdown ${CMP_DATA}/base.json ${CMP_DATA}/new.json)
kb_expect(compare_json 0
  --has "\"verdict\": \"slower\""
  --has "\"regression\": true"
  --has "\"only_in_base\": ."
  -- sh -c "\"$0\" compare --json \"$1\" \"$2\" 2>/dev/null | /usr/bin/python3 -m json.tool"
     ${KB} ${CMP_DATA}/base.json ${CMP_DATA}/new.json)

# --- a real A/A: two runs of the same selection ---
# Exit 0 or 1 (an A/A can come out "slower" on a busy machine: judging that is
# the A/A benchmark's job), but always the summary line.
foreach(side a b)
  kb_expect(compare_run_${side} 0
    --has "^run: [0-9]+ timed, 0 failed"
    -- ${KB} run --suite smoke --op quantize --plugin cpu --repetitions 5 --min-time 0.01 --warmup 0
       --json ${CMP_OUT}/compare_aa_${side}.json)
  set_tests_properties(integration.compare_run_${side} PROPERTIES FIXTURES_SETUP compare_aa)
endforeach()
set(AA ${CMP_OUT}/compare_aa_a.json ${CMP_OUT}/compare_aa_b.json)
kb_expect(compare_real_aa 0
  --has "^quantize/cpu\\.basic/rows=9,cols=37,kind=int8,gran=tensor/threads=[0-9]+,bind=compact "
  --has "^compare: [0-9]+ matched: [0-9]+ slower, [0-9]+ faster, [0-9]+ same, [0-9]+ noisy, 0 failed, 0 fixed. geomean ratio [0-9.]+$"
  --lacks "^only in"
  -- ${EXIT01} ${KB} compare ${AA})
kb_expect(compare_real_aa_markdown 0
  --has "^\\| benchmark \\| base \\| new \\| change \\| p-value \\| verdict \\| note \\|$"
  --lacks "^[^|]"
  -- ${EXIT01} ${HEAD} 1 ${KB} compare --markdown ${AA})
set_tests_properties(integration.compare_real_aa integration.compare_real_aa_markdown
  PROPERTIES FIXTURES_REQUIRED compare_aa)

# The p-values, medians and ratios of --json against scipy on the real files
# (compare.py calls the same scipy.stats.mannwhitneyu).
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/compare_scipy.py [=[
import json, subprocess, sys
from statistics import median
from scipy.stats import mannwhitneyu
kb, base, new = sys.argv[1:4]
p = subprocess.run([kb, "compare", "--json", base, new], stdout=subprocess.PIPE, check=False)
assert p.returncode in (0, 1), "exit %d" % p.returncode
out = json.loads(p.stdout)
def times(path):
    t = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("run_type") == "iteration" and not b.get("error_occurred"):
            t.setdefault(b["run_name"], []).append(b["real_time"] * 1e-9)
    return t
tb, tn = times(base), times(new)
assert len(out["benchmarks"]) == len(tb) > 0
for row in out["benchmarks"]:
    x, y = tb[row["name"]], tn[row["name"]]
    want = mannwhitneyu(x, y, alternative="two-sided").pvalue
    assert abs(row["p_value"] - want) <= 1e-9 * want, (row["name"], row["p_value"], want)
    assert abs(row["base_median"] - median(x)) <= 1e-12 * median(x), row["name"]
    assert abs(row["ratio"] - median(y) / median(x)) <= 1e-12, row["name"]
print("compare: %d p-values agree with scipy" % len(out["benchmarks"]))
]=])
kb_expect(compare_real_aa_scipy 0
  --has "^compare: [0-9]+ p-values agree with scipy$"
  -- /usr/bin/python3 ${CMAKE_CURRENT_BINARY_DIR}/compare_scipy.py ${KB} ${AA})
set_tests_properties(integration.compare_real_aa_scipy PROPERTIES FIXTURES_REQUIRED compare_aa)
