package dev.recsys.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one place where DJL is configured. Every entry point calls {@link #configure} before it
 * touches an NDManager: DJL reads these settings once, when the engine first loads.
 *
 * <ul>
 *   <li>{@code ai.djl.offline=true}: never download a native library or probe the network for
 *       telemetry. libtorch comes from the {@code pytorch-native-cpu} jar on the classpath.
 *   <li>{@code DJL_CACHE_DIR}: where libtorch is unpacked; defaults to {@code ~/.recsys/djl}.
 *   <li>PyTorch intra-op and inter-op thread counts, read when the engine loads. The intra-op
 *       count binds only the thread that loads the engine: MKL's GEMM and OpenMP keep their
 *       thread counts per calling thread, and a thread of its own that scores (a Flink task's
 *       scorer) would use every core. Such a thread calls {@link #useIntraOpThreads} first.
 * </ul>
 */
public final class DjlRuntime {

  /** Thread settings for the PyTorch engine; 0 leaves PyTorch's own default. */
  public record Threads(int intraOp, int interOp) {
    public static final Threads DEFAULT = new Threads(0, 0);
  }

  private static volatile boolean configured;
  private static volatile boolean threadsConfigured;

  private DjlRuntime() {}

  /** Configures DJL with the default cache directory and thread settings. */
  public static void configure() {
    configure(null, Threads.DEFAULT);
  }

  /**
   * Sets the offline flag, cache directory and thread counts. The first call that gives thread
   * counts sets them (an earlier call without any does not take their place), and only before the
   * engine loads, since PyTorch reads them then.
   */
  public static synchronized void configure(Path cacheDir, Threads threads) {
    System.setProperty("ai.djl.offline", "true");
    if (!threadsConfigured && (threads.intraOp() > 0 || threads.interOp() > 0)) {
      if (threads.intraOp() > 0) {
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads.intraOp()));
      }
      if (threads.interOp() > 0) {
        System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(threads.interOp()));
      }
      threadsConfigured = true;
    }
    if (configured) {
      return;
    }
    Path dir = cacheDir;
    if (dir == null && System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
      dir = Path.of(System.getProperty("user.home"), ".recsys", "djl");
    }
    if (dir != null) {
      System.setProperty("DJL_CACHE_DIR", dir.toString());
      System.setProperty("ENGINE_CACHE_DIR", dir.toString());
    }
    configured = true;
  }

  /**
   * Makes the calling thread's forward passes use {@code threads} intra-op threads (loading the
   * engine if it has not loaded yet). For a thread that scores but did not load the engine.
   */
  public static void useIntraOpThreads(int threads) {
    configure();
    if ("PyTorch".equals(Engine.getInstance().getEngineName())) {
      ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
    }
  }

  /**
   * Loads the PyTorch engine once and exits: unpacks libtorch from the {@code pytorch-native-cpu}
   * jar into {@code DJL_CACHE_DIR}. The images run this at build time, so that their JVMs start
   * without unpacking it (or a writable cache).
   */
  public static void main(String[] args) {
    configure();
    Engine engine = Engine.getEngine("PyTorch");
    System.out.println("PyTorch " + engine.getVersion() + " ready in " + ai.djl.util.Utils.getEngineCacheDir("pytorch"));
  }

  /**
   * Turns off autograd recording on the calling thread. PyTorch's grad mode is per thread and on by
   * default; DJL switches it off only on the thread that started the engine. Off the training
   * step, recording wastes memory and time, and in-place parameter updates fail.
   */
  public static void disableGradientRecording() {
    if ("PyTorch".equals(Engine.getInstance().getEngineName())) {
      ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    }
  }

  /**
   * Resolves a device name: {@code cpu}, {@code gpu} (fails when DJL sees none) or {@code auto}
   * (the first GPU when DJL sees one, else the CPU).
   */
  public static Device device(String name) {
    configure();
    int gpus = Engine.getInstance().getGpuCount();
    switch (name.toLowerCase(Locale.ROOT)) {
      case "cpu":
        return Device.cpu();
      case "gpu":
        if (gpus == 0) {
          throw new IllegalArgumentException(
              "--device gpu: DJL sees no GPU. Build with -Pcuda (CUDA libtorch) on a CUDA machine.");
        }
        return Device.gpu();
      case "auto":
        return gpus > 0 ? Device.gpu() : Device.cpu();
      default:
        throw new IllegalArgumentException("unknown device '" + name + "': use auto, cpu or gpu");
    }
  }
}
