package dev.recsys.trainer.data;

import dev.recsys.model.bundle.BundleManifest;
import dev.recsys.model.bundle.Digests;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The paper's split: training users' rows, and validation and test users each split into fold-in
 * input ({@code *Tr}) and held-out targets ({@code *Te}). Columns are model item indices; {@code
 * movieIds[i]} is the external id of index i (the reference's {@code unique_sid.txt}). Validation
 * and test rows are aligned: row r of {@code valTr} and {@code valTe} is the same user.
 */
public record SplitData(Csr train, Csr valTr, Csr valTe, Csr testTr, Csr testTe, long[] movieIds) {

  public int numItems() {
    return movieIds.length;
  }

  /**
   * The {@code limit} items most training users have, most popular first (ties by index): a
   * bundle's fallback for users with no known items.
   */
  public List<BundleManifest.PopularItem> popularity(int limit) {
    long[] counts = train.columnCounts();
    return IntStream.range(0, counts.length)
        .boxed()
        .sorted(Comparator.comparingLong((Integer i) -> -counts[i]).thenComparingInt(i -> i))
        .limit(limit)
        .map(i -> new BundleManifest.PopularItem(movieIds[i], counts[i]))
        .toList();
  }

  /** SHA-256 over the whole split: which data produced a model. */
  public String fingerprint() {
    MessageDigest md = Digests.newSha256();
    ByteBuffer b = ByteBuffer.allocate(1 << 16);
    for (long id : movieIds) {
      flushIfFull(md, b, 8).putLong(id);
    }
    for (Csr m : new Csr[] {train, valTr, valTe, testTr, testTe}) {
      for (int[] a : new int[][] {m.ptr(), m.idx()}) {
        for (int v : a) {
          flushIfFull(md, b, 4).putInt(v);
        }
      }
    }
    md.update(b.array(), 0, b.position());
    return HexFormat.of().formatHex(md.digest());
  }

  private static ByteBuffer flushIfFull(MessageDigest md, ByteBuffer b, int need) {
    if (b.remaining() < need) {
      md.update(b.array(), 0, b.position());
      b.clear();
    }
    return b;
  }

  /** Counts for the report. */
  public String describe() {
    return String.format(
        "%d items; train %d users / %d interactions; validation %d users (%d fold-in, %d held out); test %d users (%d fold-in, %d held out)",
        numItems(), train.rows(), train.nnz(), valTr.rows(), valTr.nnz(), valTe.nnz(), testTr.rows(), testTr.nnz(), testTe.nnz());
  }
}
