package dev.recsys.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import dev.recsys.trainer.cli.DownloadCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code recsys download} against a loopback server laid out like files.grouplens.org. */
class DownloadCommandTest {

  @TempDir Path tmp;
  HttpServer server;
  final Map<String, byte[]> files = new java.util.concurrent.ConcurrentHashMap<>();

  @BeforeEach
  void serve() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/datasets/movielens/", ex -> {
      byte[] body = files.get(ex.getRequestURI().getPath().substring("/datasets/movielens/".length()));
      ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
      if (body != null) {
        ex.getResponseBody().write(body);
      }
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private int download(String dataset, StringWriter err) {
    CommandLine cli = new CommandLine(new DownloadCommand());
    cli.setErr(new PrintWriter(err));
    String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/datasets/movielens/";
    return cli.execute("--dataset", dataset, "--out", tmp.resolve("data").toString(), "--base-url", base);
  }

  @Test
  void savesTheArchiveWhenItsMd5MatchesThePublishedOne() throws Exception {
    byte[] zip = new byte[300_000];
    new SplittableRandom(1).nextBytes(zip);
    String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(zip));
    files.put("ml-test.zip", zip);
    files.put("ml-test.zip.md5", (md5 + "  ml-test.zip\n").getBytes(StandardCharsets.US_ASCII));
    assertEquals(0, download("ml-test", new StringWriter()));
    assertArrayEquals(zip, Files.readAllBytes(tmp.resolve("data/ml-test.zip")));
    assertThat(tmp.resolve("data/ml-test.zip.part")).doesNotExist();
  }

  @Test
  void refusesAnArchiveThatDoesNotMatchAndKeepsNothing() throws Exception {
    files.put("ml-bad.zip", "not what was published".getBytes(StandardCharsets.US_ASCII));
    files.put("ml-bad.zip.md5", "0123456789abcdef0123456789abcdef  ml-bad.zip\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(download("ml-bad", new StringWriter())).isNotZero();
    assertThat(tmp.resolve("data/ml-bad.zip")).doesNotExist();
    assertThat(tmp.resolve("data/ml-bad.zip.part")).doesNotExist();
    // and without a published checksum nothing is fetched at all
    files.put("ml-unsigned.zip", new byte[10]);
    assertThat(download("ml-unsigned", new StringWriter())).isNotZero();
    assertThat(tmp.resolve("data/ml-unsigned.zip")).doesNotExist();
  }
}
