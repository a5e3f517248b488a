package dev.recsys.trainer.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recsys.model.FileTrees;
import dev.recsys.model.Tensor;
import dev.recsys.model.bundle.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training state after an epoch, so an interrupted run resumes where it stopped: current
 * weights, Adam's moments, the update count (β), the best weights so far and the history.
 *
 * <p>Written to {@code <dir>.tmp} and swapped in by renames, so a crash mid-write leaves the
 * previous checkpoint intact.
 */
final class Checkpoint {

  private static final Logger LOG = LoggerFactory.getLogger(Checkpoint.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  record State(
      int epoch,
      long updates,
      long adamSteps,
      int bestEpoch,
      double bestNdcg,
      List<EpochStats> history,
      Map<String, Tensor> weights,
      Map<String, Tensor> adam,
      Map<String, Tensor> best) {}

  /** state.json: everything but the tensors. */
  record Meta(
      String config, String dataFingerprint, int epoch, long updates, long adamSteps, int bestEpoch, double bestNdcg,
      List<EpochStats> history) {}

  private Checkpoint() {}

  static void save(Path dir, TrainConfig cfg, String fingerprint, State s) throws IOException {
    Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
    Path old = dir.resolveSibling(dir.getFileName() + ".old");
    FileTrees.deleteRecursively(tmp);
    Files.createDirectories(tmp);
    SafetensorsFile.write(tmp.resolve("weights.safetensors"), s.weights());
    SafetensorsFile.write(tmp.resolve("adam.safetensors"), s.adam());
    SafetensorsFile.write(tmp.resolve("best.safetensors"), s.best());
    JSON.writeValue(
        tmp.resolve("state.json").toFile(),
        new Meta(signature(cfg), fingerprint, s.epoch(), s.updates(), s.adamSteps(), s.bestEpoch(), s.bestNdcg(), s.history()));
    FileTrees.deleteRecursively(old);
    if (Files.exists(dir)) {
      Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    FileTrees.deleteRecursively(old);
  }

  /** The checkpoint in dir (or its .old twin after a crash mid-swap), if it matches cfg and data. */
  static State load(Path dir, TrainConfig cfg, String fingerprint) throws IOException {
    Path old = dir.resolveSibling(dir.getFileName() + ".old");
    Path from = Files.isRegularFile(dir.resolve("state.json")) ? dir : Files.isRegularFile(old.resolve("state.json")) ? old : null;
    if (from == null) {
      return null;
    }
    Meta meta = JSON.readValue(from.resolve("state.json").toFile(), Meta.class);
    if (!meta.config().equals(signature(cfg)) || !meta.dataFingerprint().equals(fingerprint)) {
      LOG.warn("ignoring checkpoint {}: it was made with other settings or data", from);
      return null;
    }
    LOG.info("resuming from {} after epoch {}", from, meta.epoch());
    return new State(
        meta.epoch(), meta.updates(), meta.adamSteps(), meta.bestEpoch(), meta.bestNdcg(), meta.history(),
        SafetensorsFile.read(from.resolve("weights.safetensors")), SafetensorsFile.read(from.resolve("adam.safetensors")),
        SafetensorsFile.read(from.resolve("best.safetensors")));
  }

  /** The settings that must match to resume (the epoch count may grow). */
  private static String signature(TrainConfig cfg) {
    Map<String, Object> m = JSON.convertValue(cfg.hyperparameters(), new TypeReference<TreeMap<String, Object>>() {});
    m.remove("epochs");
    // 2: Adam's moments in the engine's layout, decoder weights [out, in]; 3: safetensors files
    m.put("checkpointFormat", 3);
    return m.toString();
  }
}
