package dev.recsys.trainer.data;

import java.util.Arrays;

/**
 * A binary user × item matrix in compressed sparse rows: row r holds the item indices
 * {@code idx[ptr[r] .. ptr[r+1])}. This is how the trainer keeps data: dense rows exist only per
 * batch.
 */
public final class Csr {

  private final int rows;
  private final int cols;
  private final int[] ptr;
  private final int[] idx;

  public Csr(int rows, int cols, int[] ptr, int[] idx) {
    if (ptr.length != rows + 1 || ptr[rows] != idx.length) {
      throw new IllegalArgumentException("inconsistent CSR: rows=" + rows + " nnz=" + idx.length);
    }
    this.rows = rows;
    this.cols = cols;
    this.ptr = ptr;
    this.idx = idx;
  }

  /** Builds from parallel (row, col) arrays of length n, keeping the given order within a row. */
  public static Csr fromPairs(int rows, int cols, int[] r, int[] c, int n) {
    int[] ptr = new int[rows + 1];
    for (int i = 0; i < n; i++) {
      ptr[r[i] + 1]++;
    }
    for (int i = 0; i < rows; i++) {
      ptr[i + 1] += ptr[i];
    }
    int[] fill = Arrays.copyOf(ptr, rows);
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[fill[r[i]]++] = c[i];
    }
    return new Csr(rows, cols, ptr, idx);
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  public long nnz() {
    return idx.length;
  }

  public int rowLength(int r) {
    return ptr[r + 1] - ptr[r];
  }

  /** A copy of row r's item indices. */
  public int[] row(int r) {
    return Arrays.copyOfRange(idx, ptr[r], ptr[r + 1]);
  }

  /** Number of rows containing each column. */
  public long[] columnCounts() {
    long[] counts = new long[cols];
    for (int i : idx) {
      counts[i]++;
    }
    return counts;
  }

  int[] ptr() {
    return ptr;
  }

  int[] idx() {
    return idx;
  }
}
