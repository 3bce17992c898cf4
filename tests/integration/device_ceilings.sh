#!/usr/bin/env bash
# device_ceilings.sh KBENCH SIM_PLUGIN - a device plugin's facts and ceilings:
# `kbench topo` lists its device, `kbench peak --store` measures its copy
# bandwidth through the plugin's hook, and `kbench run` then reports its
# cases against the device's ceiling (not the CPU's), with the host thread
# bound near the device's PCI slot.
set -eu
kb=$1; sim=$2
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
bus=$(lstopo-no-graphics --of xml 2>/dev/null | grep -o 'pci_busid="[^"]*"' | head -n 1 | cut -d'"' -f2 || true)
export KB_SIM_PCI_BUS_ID=${bus:-}
topo=$("$kb" topo --plugin "$sim")
grep -Eq "^  sim +simulated device, 1\.00 GiB, L2 4\.0 MiB, 2 multiprocessors, sim 1\.0" <<<"$topo" || { echo "$topo"; exit 1; }
peak=$("$kb" peak --plugin "$sim" --store --results-dir "$store")
grep -Eq "^device sim \(simulated device\): copy [0-9.]+ GB/s, f16 matmul 0.0 GFLOP/s" <<<"$peak" || { echo "$peak"; exit 1; }
grep -q "no f16 matmul kernel" <<<"$peak" || { echo "$peak"; exit 1; }
out=$("$kb" run --suite smoke --op softmax --plugin "$sim" --results-dir "$store" --repetitions 2 --min-time 0.002 \
      --warmup 0 --json "$store/run.json")
grep -Eq "^softmax +sim\.plain +rows=7,cols=129,dtype=f32,scale=0\.5/threads=[0-9]+,bind=compact .* [0-9.]+%m " <<<"$out" \
  || { echo "no roofline against the device's ceiling:"; echo "$out"; exit 1; }
/usr/bin/python3 - "$store/run.json" "${bus:-}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
# Other device plugins (cuda, cublas without a GPU) may be listed too, unavailable.
devs = [x for x in d["context"]["kbench_devices"] if x.get("plugin") == "sim"]
assert devs and devs[0]["name"] == "simulated device", d["context"]["kbench_devices"]
peak = d["context"]["kbench_peak"]
sim = [x for x in peak["devices"] if x["plugin"] == "sim"]
assert sim and sim[0]["copy_gbs"] > 0, peak
for b in d["benchmarks"]:
    if b["run_type"] == "iteration":
        if sys.argv[2]:
            assert b["kbench"].get("host_thread_near_device", "").startswith("PUs "), b["kbench"]
        assert b["kbench"]["roofline"]["memory_bound"] is True, b["kbench"]
print("device ceilings: facts, copy bandwidth, roofline and host binding as documented")
PY
