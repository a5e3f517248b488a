package dev.recsys.trainer.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code recsys download}: fetches a GroupLens MovieLens archive and checks it against the MD5
 * that GroupLens publishes beside it. Only for machines with internet access; nothing else in the
 * system downloads anything.
 */
@Command(name = "download", mixinStandardHelpOptions = true, description = "Download a MovieLens dataset from GroupLens and verify its published MD5 checksum.")
public final class DownloadCommand implements Callable<Integer> {

  @Option(names = "--dataset", defaultValue = "ml-20m", description = "ml-20m, ml-1m, ml-latest-small, ... (default: ${DEFAULT-VALUE})")
  String dataset;

  @Option(names = "--out", defaultValue = "data", description = "Directory to save the zip in (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--base-url", defaultValue = "https://files.grouplens.org/datasets/movielens/", description = "Where GroupLens serves the archives")
  String baseUrl;

  @Override
  public Integer call() throws Exception {
    HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
    String zipUrl = baseUrl + dataset + ".zip";
    String md5Text = http.send(HttpRequest.newBuilder(URI.create(zipUrl + ".md5")).build(), HttpResponse.BodyHandlers.ofString()).body();
    String expected = md5Text.trim().split("\\s+")[0].toLowerCase();
    if (!expected.matches("[0-9a-f]{32}")) {
      System.err.println("no MD5 published at " + zipUrl + ".md5; refusing to download unverified data");
      return 2;
    }
    Files.createDirectories(out);
    Path target = out.resolve(dataset + ".zip");
    Path tmp = out.resolve(dataset + ".zip.part");
    HttpResponse<InputStream> resp = http.send(HttpRequest.newBuilder(URI.create(zipUrl)).build(), HttpResponse.BodyHandlers.ofInputStream());
    if (resp.statusCode() != 200) {
      System.err.println(zipUrl + ": HTTP " + resp.statusCode());
      return 2;
    }
    long size = resp.headers().firstValueAsLong("content-length").orElse(-1);
    MessageDigest md5 = MessageDigest.getInstance("MD5");
    try (InputStream in = resp.body();
        OutputStream o = Files.newOutputStream(tmp);
        ProgressBar bar = new ProgressBarBuilder().setTaskName(dataset).setInitialMax(size).setUnit(" MB", 1 << 20).setStyle(ProgressBarStyle.ASCII).build()) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        o.write(buf, 0, n);
        md5.update(buf, 0, n);
        bar.stepBy(n);
      }
    }
    String actual = HexFormat.of().formatHex(md5.digest());
    if (!actual.equals(expected)) {
      Files.delete(tmp);
      System.err.println("checksum mismatch for " + zipUrl + ": expected MD5 " + expected + ", got " + actual);
      return 2;
    }
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("verified " + target + " (MD5 " + actual + ")");
    Files.writeString(out.resolve(dataset + ".zip.md5"), actual + "\n", StandardCharsets.UTF_8);
    return 0;
  }
}
