#!/usr/bin/env bash
# When the job's JIT compiler works, and on what: runs `./recsys bench job` with HotSpot's
# compilation log (-XX:+LogCompilation) in every JVM it starts, then, for the job's JVM, prints the
# C2 compiler's seconds per 15 s since the JVM started and each C2 compilation of at least
# MIN_MS (default 100) ms, with its wall-clock start: to set against the seconds `bench job`
# names as its worst.
# Usage: [MIN_MS=100] scripts/jit-bench-job.sh [bench job options], e.g.
#   scripts/jit-bench-job.sh --parallelism 1 --rates 1100 --load-seconds 120 --exactly-once-load 0
# Writes target/jitlog/<pid>.log (one per JVM: the bench, the broker, the job).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/jitlog"
mkdir -p "$OUT"
rm -f "$OUT"/*.log
RECSYS_JAVA_OPTS="-Xmx8g -XX:MaxGCPauseMillis=20 -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=$OUT/%p.log" \
  "$ROOT/recsys" bench job "$@"

python3 - "$OUT" "${MIN_MS:-100}" <<'EOF'
import datetime, glob, re, sys
ATTR = re.compile(r"(\w+)='([^']*)'")
out, min_ms = sys.argv[1], float(sys.argv[2])

def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3]

for path in sorted(glob.glob(out + "/*.log")):
    start, task, c2 = None, None, []  # c2: (start since JVM start, seconds, method)
    job = False
    with open(path, errors="replace") as f:
        for line in f:
            if start is None and line.startswith("<hotspot_log"):
                start = int(dict(ATTR.findall(line))["time_ms"]) / 1000
            job = job or "dev/recsys/job/RecommendOperator" in line or "dev.recsys.job.RecommendOperator" in line
            if line.startswith("<task "):
                task = dict(ATTR.findall(line))
            elif line.startswith("<task_done") and task is not None:
                if task.get("level", "4") == "4":  # C1's tiers name theirs; C2's tasks carry none
                    t0 = float(task["stamp"])
                    c2.append((t0, float(dict(ATTR.findall(line))["stamp"]) - t0, task["method"]))
                task = None
    if not job or start is None:
        continue
    print(f"the job's JVM ({path}), started {utc(start)} UTC")
    per = {}
    for t0, s, _ in c2:
        per[int(t0 // 15)] = per.get(int(t0 // 15), 0) + s
    print("  C2 compiler seconds per 15 s since the start: " + " ".join(f"{b * 15}s:{per[b]:.1f}" for b in sorted(per)))
    print(f"  C2 compilations of {min_ms:.0f} ms or more:")
    for t0, s, m in sorted(c2):
        if s * 1000 >= min_ms:
            print(f"    {utc(start + t0)}  {s * 1000:6.0f} ms  {m.replace(' ', '.', 1).split(' ')[0]}")
EOF
