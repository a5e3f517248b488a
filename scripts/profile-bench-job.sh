#!/usr/bin/env bash
# Where the job's scoring task thread spends its CPU under load: runs `./recsys bench job` with
# async-profiler (tools.profiler:async-profiler, from Maven) in every JVM it starts, then sums the
# samples of the job's "score users in micro-batches" thread, and of its scoring threads, by what
# they were doing.
# Usage: scripts/profile-bench-job.sh [bench job options], e.g.
#   scripts/profile-bench-job.sh --parallelism 1 --rates 3600 --load-seconds 90 --exactly-once-load 0
# Writes target/profile/prof-<pid>.collapsed (one per JVM: the bench, the broker, the job), and
# prints the summary; Linux x86-64 only (the profiler's native library).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/profile"
VERSION=2.9
mkdir -p "$OUT"
rm -f "$OUT"/prof-*.collapsed
JAR="$HOME/.m2/repository/tools/profiler/async-profiler/$VERSION/async-profiler-$VERSION.jar"
[ -f "$JAR" ] || "$ROOT/mvnw" -q -B dependency:get -Dartifact="tools.profiler:async-profiler:$VERSION" >&2
(cd "$OUT" && unzip -o -q "$JAR" linux-x64/libasyncProfiler.so)
AGENT="-agentpath:$OUT/linux-x64/libasyncProfiler.so=start,event=cpu,interval=5ms,threads,file=$OUT/prof-%p.collapsed,collapsed"
RECSYS_JAVA_OPTS="-Xmx8g -XX:MaxGCPauseMillis=20 $AGENT" "$ROOT/recsys" bench job "$@"

# the job's JVM is the one whose profile has the scoring task's thread
python3 - "$OUT" <<'EOF'
import collections, glob, sys
# first match wins: the categories nest (an observation's read is a state read too)
CATEGORIES = [
    ("loading and warming up a model (at start and at each swap)", "ServedModel.load"),
    ("JSON encoding of the lists", "JsonCodec.encode"),
    ("online evaluation: the last list's read (RocksDB get)", "RecommendOperator.observe"),
    ("the history's read (RocksDB get)", "TtlValueState.value"),
    ("state writes (RocksDB put)", "RocksDBValueState.update"),
    ("the changelog's writes", "ChangelogValueState.update"),
    ("the Kafka writer besides encoding", "KafkaWriter.write"),
    ("the lists' emission besides the above", "RecommendOperator.emit"),
    ("the history's update and the queue", "RecommendOperator.processElement1"),
    ("reading the network input", "emitNext"),
]
SCORING = [
    ("the output layer (Vector API), whole blocks", "VectorOutputLayer.blocks"),
    ("the output layer (Vector API), the last items", "VectorOutputLayer.tail"),
    ("the top-K", "Ranked"),
    ("the layers before it (DJL, libtorch)", "lastHidden"),
    ("the batch's input tensors", "toNDList"),
    ("waiting for users", "ScoringQueue.take"),
]
# each thread kind: its thread-name prefix, its categories, the name of what none of them matches
THREADS = [
    ("the scoring task's thread", "[score users in micro-batches", CATEGORIES, "other (mailbox, metrics, runtime)"),
    ("the scoring threads", "[recsys-scorer", SCORING, "other"),
]
for path in glob.glob(sys.argv[1] + "/prof-*.collapsed"):
    counts, totals = [collections.Counter() for _ in THREADS], [0] * len(THREADS)
    for line in open(path):
        stack, n = line.rsplit(" ", 1)
        for i, (_, prefix, categories, other) in enumerate(THREADS):
            if stack.startswith(prefix):
                totals[i] += int(n)
                counts[i][next((name for name, frame in categories if frame in stack), other)] += int(n)
    if not totals[0]:
        continue  # not the job's JVM
    for i, (title, _, _, _) in enumerate(THREADS):
        print(f"{title}, {totals[i]} samples of 5 ms CPU" + (f" ({path}):" if i == 0 else ":"))
        for name, n in counts[i].most_common():
            print(f"  {100 * n / totals[i]:5.1f}%  {name}")
EOF
