package dev.recsys.trainer.cli;

import dev.recsys.model.DjlRuntime;
import picocli.CommandLine.Option;

/** --device and thread settings. */
public final class DeviceOptions {

  @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}: a GPU when DJL sees one)")
  String device;

  @Option(names = "--threads", defaultValue = "0", description = "PyTorch intra-op threads (default: all cores)")
  int threads;

  DjlRuntime.Threads threads() {
    return new DjlRuntime.Threads(threads, threads > 0 ? 1 : 0);
  }
}
