package dev.recsys.model.bundle;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** Model index ↔ external movieId. Index i is the i-th movieId. */
public final class ItemVocabulary {

  private final long[] movieIds;
  private final Map<Long, Integer> indexOf;

  public ItemVocabulary(long[] movieIds) {
    this.movieIds = movieIds.clone();
    this.indexOf = new HashMap<>(movieIds.length * 2);
    for (int i = 0; i < movieIds.length; i++) {
      if (indexOf.put(movieIds[i], i) != null) {
        throw new IllegalArgumentException("duplicate movieId " + movieIds[i] + " at index " + i);
      }
    }
  }

  public int size() {
    return movieIds.length;
  }

  public long movieId(int index) {
    return movieIds[index];
  }

  /** The model index of a movieId, or -1 when the model does not know it. */
  public int indexOf(long movieId) {
    Integer i = indexOf.get(movieId);
    return i == null ? -1 : i;
  }

  public long[] movieIds() {
    return movieIds.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ItemVocabulary v && Arrays.equals(v.movieIds, movieIds);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(movieIds);
  }
}
