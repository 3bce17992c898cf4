# kbench report (docs/report.md): the HTML page's charts and tables, that it
# references nothing outside itself, the markdown summary, and every
# malformed input's one-line message and exit 2 (as kbench compare's).
# Included from tests/integration/CMakeLists.txt (kb_expect, KB).
set(REP_DATA ${PROJECT_SOURCE_DIR}/tests/data/results)
set(REP_OUT ${CMAKE_CURRENT_BINARY_DIR}/out)
file(MAKE_DIRECTORY ${REP_OUT})

# A real run's file (tests/data/results/roofline.json: context.kbench_peak,
# kbench.roofline): the roofline with its ceilings and points, bars per op,
# the verification table.  The xmlns is removed before the output is shown,
# so any other "http" (a link, a font, a script) fails the test.
kb_expect(report_html 0
  --has "^<!DOCTYPE html>$"
  --has "<td><code>b8a24ad7a4f2</code></td><td>AMD EPYC: 1 package\\(s\\), 2 cores, 2 PUs"
  --has "<svg xmlns=\"XMLNS\" viewBox=\"0 0 960 540\" [^>]*aria-label=\"roofline of machine b8a24ad7a4f2\""
  --has "all cores: 267 GFLOP/s, triad DRAM 75 GB/s"
  --has "<circle [^>]*fill=\"#4e79a7\"[^>]*><title>#1 attention/cpu\\.rowwise/b=1,hq=2,hkv=2,sq=17,skv=17,d=16,dtype=f32/threads=1,bind=compact: [0-9.e+-]+ GFLOP/s"
  --has "<circle [^>]*fill=\"#f28e2b\"[^>]*><title>#[0-9]+ matmul/ref\\.exact/"
  --has "<svg [^>]*aria-label=\"softmax throughput per case\""
  --has "<svg [^>]*aria-label=\"matmul throughput per case\""
  --has "<rect [^>]*><title>matmul/cpu\\.simple/m=17,n=19,k=23,a=f16,c=f32/threads=1,bind=compact: [0-9.]+ GFLOP/s</title>"
  --has "<td class=\"pass\">PASS</td>"
  --has "<p>None: every benchmark verified"
  --lacks "http" --lacks "<script" --lacks "<link" --lacks "@import" --lacks "class=\"changes\""
  -- sh -c "${KB} report ${REP_DATA}/roofline.json -o ${REP_OUT}/report.html && sed 's#http://www.w3.org/2000/svg#XMLNS#g' ${REP_OUT}/report.html")
# Speedups against --baseline: ref's own fastest kernel is 1.00x.
kb_expect(report_baseline 0
  --has "x1\\.00</text>"
  --has "speedup against the fastest <code>ref</code> kernel"
  -- sh -c "${KB} report ${REP_DATA}/roofline.json --baseline ref -o ${REP_OUT}/baseline.html && cat ${REP_OUT}/baseline.html")
kb_expect(report_baseline_unknown 0
  --has "^kbench: warning: report: --baseline nosuch: no benchmark of that plugin"
  -- ${KB} report ${REP_DATA}/roofline.json --baseline nosuch --markdown)

# --base: the change chart, coloured by compare's verdicts; the failures.
kb_expect(report_base 0
  --has "<svg [^>]*aria-label=\"change per benchmark against BASE\""
  --has "<rect [^>]*fill=\"#d62728\"><title>softmax/cpu\\.online/[^<]*: \\+29\\.9% slower: \\+29\\.9% beyond \\+5%"
  --has "<rect [^>]*fill=\"#2ca02c\"><title>matmul/cpu\\.faster/[^<]*: -24\\.9% faster[:<]"
  --has "6 matched: 1 slower, 1 faster, 1 same, 1 noisy, 1 failed, 1 fixed. 1 only in BASE, 1 only in NEW"
  --has "<h2>Failures</h2>"
  --has "<li><code>matmul/cpu\\.simple/[^<]*</code>: random#2: max error 3"
  --has "<td class=\"fail\">ERROR</td>"
  --has "No case with FLOPs and a time on this machine"
  -- sh -c "${KB} report ${REP_DATA}/new.json --base ${REP_DATA}/base.json -o ${REP_OUT}/base.html && cat ${REP_OUT}/base.html")

# --markdown: tables on stdout, no HTML.
kb_expect(report_markdown 0
  --has "^# kbench report$"
  --has "^\\| `.*roofline\\.json` \\| 2026-11-28T[0-9:]+\\+00:00 \\| [0-9a-f]+ \\| b8a24ad7a4f2 \\| AMD EPYC, 2 cores, 2 PUs \\|$"
  --has "^## matmul$"
  --has "^\\| `matmul/cpu\\.simple/m=17,n=19,k=23,a=f16,c=f32/threads=1,bind=compact` \\| [0-9.]+ us \\| [0-9.]+ GFLOP/s \\| [0-9.]+% \\| [0-9.]+x \\|$"
  --has "^\\| `matmul/ref\\.exact/m=17,n=19,k=23,a=f16,c=f32/threads=1,bind=compact` \\| .* \\| 1\\.00x \\|$"
  --has "^26 passed, 0 failed, 0 without verification$"
  --lacks "<svg" --lacks "<html"
  -- ${KB} report ${REP_DATA}/roofline.json --baseline ref --markdown)
kb_expect(report_markdown_base 0
  --has "^## Change against BASE$"
  --has "^\\| `softmax/cpu\\.online/[^`]*` \\| \\+29\\.9% \\| slower \\|$"
  --has "^\\| `matmul/cpu\\.simple/[^`]*` \\| \\*\\*ERROR\\*\\* \\| - \\| - \\| random#2: max error 3"
  -- ${KB} report ${REP_DATA}/new.json --base ${REP_DATA}/base.json --markdown)

# --- malformed inputs: compare's one-line messages, exit 2, no page written ---
foreach(case IN LISTS KB_MALFORMED_RESULT_FILES)
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 file)
  list(GET parts 1 message)
  kb_expect(report_bad_${file} 2
    --has "^kbench: report: ${REP_DATA}/${file}\\.json: ${message}$"
    --lacks "wrote"
    -- ${KB} report ${REP_DATA}/base.json ${REP_DATA}/${file}.json -o ${REP_OUT}/bad_${file}.html)
  kb_expect(report_bad_base_${file} 2
    --has "^kbench: report: ${REP_DATA}/${file}\\.json: ${message}$"
    -- ${KB} report ${REP_DATA}/base.json --base ${REP_DATA}/${file}.json --markdown)
endforeach()

# --- usage errors ---
kb_expect(report_no_output 2 --has "^kbench: report: say where the report goes: -o report\\.html, or --markdown"
  -- ${KB} report ${REP_DATA}/base.json)
kb_expect(report_both_outputs 2 --has "^kbench: report: -o and --markdown exclude each other$"
  -- ${KB} report ${REP_DATA}/base.json --markdown -o ${REP_OUT}/x.html)
kb_expect(report_no_files 2 --has "^kbench: report: expected one or more result files"
  -- ${KB} report --markdown)
kb_expect(report_unknown_option 2 --has "^kbench: report: unknown option '--bogus'"
  -- ${KB} report ${REP_DATA}/base.json --bogus)
kb_expect(report_unwritable 2 --has "^kbench: report: ${REP_OUT}/no/such/dir/r\\.html: "
  -- ${KB} report ${REP_DATA}/base.json -o ${REP_OUT}/no/such/dir/r.html)
kb_expect(report_help 0 --has "^usage: kbench report RESULTS\\.json" -- ${KB} report --help)

# Headless Chromium renders a real run's report (report_browser.sh); skipped
# (77) where chromium is not installed.
add_test(NAME integration.report_browser
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/report_browser.sh ${KB} ${REP_OUT}/browser)
set_tests_properties(integration.report_browser PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
