package dev.recsys.app.bench;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * When the scoring task's periodic materializations (the changelog state backend's) ended, read
 * from the job's log. Flink's {@code PeriodicMaterializationManager} logs "Task ... schedules the
 * next materialization in N seconds" as each one completes (log4j2.xml keeps that logger at
 * INFO). A materialization snapshots RocksDB, its synchronous part on the task thread, then copies
 * the new files, and a load's slowest list tends to line up with one, so the harness prints them
 * next to each load.
 */
final class Materializations {

  private static final String TASK = "Task " + CheckpointTimes.SCORING_VERTEX;
  private static final String ENDED = "schedules the next materialization";
  private static final long HALF_DAY_MS = 12L * 3600 * 1000;

  private Materializations() {}

  /**
   * The seconds (epoch ms of their start) in which the log says one of the scoring task's
   * materializations ended (not another task's, such as the online metrics'), those
   * overlapping [fromMs, toMs], in log order. The log gives local wall-clock times to the second
   * ({@code HH:mm:ss} first on each line); a time more than half a day before {@code fromMs} is
   * taken as the next day's.
   */
  static List<Long> endedBetween(List<String> lines, long fromMs, long toMs, ZoneId zone) {
    LocalDate day = Instant.ofEpochMilli(fromMs).atZone(zone).toLocalDate();
    List<Long> out = new ArrayList<>();
    for (String line : lines) {
      if (!line.contains(ENDED) || !line.contains(TASK) || line.length() < 8) {
        continue;
      }
      LocalTime t;
      try {
        t = LocalTime.parse(line.substring(0, 8));
      } catch (DateTimeParseException e) {
        continue; // a continuation line, not one of the pattern's
      }
      long at = day.atTime(t).atZone(zone).toInstant().toEpochMilli();
      if (at < fromMs - HALF_DAY_MS) {
        at = day.plusDays(1).atTime(t).atZone(zone).toInstant().toEpochMilli();
      }
      if (at + 1000 > fromMs && at <= toMs) {
        out.add(at);
      }
    }
    return out;
  }

  /** One line: when each ended, and how far the slowest list's trigger was from the nearest end. */
  static String describe(List<Long> ended, long slowestSentAt) {
    if (ended.isEmpty()) {
      return "no materialization ended in the window";
    }
    StringBuilder b = new StringBuilder(ended.size() + " materialization(s) ended (job log, to the second):");
    long nearest = ended.get(0);
    for (long at : ended) {
      b.append(' ').append(Instant.ofEpochMilli(at));
      if (Math.abs(at + 500 - slowestSentAt) < Math.abs(nearest + 500 - slowestSentAt)) {
        nearest = at;
      }
    }
    if (slowestSentAt > 0) {
      double s = (slowestSentAt - nearest) / 1000.0;
      String when = s < 0 ? String.format("%.1f s before", -s) : s < 1 ? "during" : String.format("%.1f s after", s - 1);
      b.append("; the slowest list was triggered ").append(when).append(" the second in which the nearest one ended");
    }
    return b.toString();
  }
}
