package dev.recsys.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recsys.model.nn.Blocks;
import dev.recsys.model.nn.MultAutoencoderBlock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArchitectureTest {

  @Test
  void paperVaeParametersInDeclarationOrder() {
    Map<String, long[]> shapes = Architecture.paperVae(1000).parameterShapes();
    assertEquals(
        List.of("enc0.weight", "enc0.bias", "enc1.weight", "enc1.bias", "dec0.weight", "dec0.bias", "dec1.weight", "dec1.bias"),
        List.copyOf(shapes.keySet()));
    assertArrayEquals(new long[] {1000, 600}, shapes.get("enc0.weight"));
    assertArrayEquals(new long[] {600}, shapes.get("enc0.bias"));
    assertArrayEquals(new long[] {600, 400}, shapes.get("enc1.weight")); // μ and log σ²
    assertArrayEquals(new long[] {400}, shapes.get("enc1.bias"));
    assertArrayEquals(new long[] {200, 600}, shapes.get("dec0.weight"));
    assertArrayEquals(new long[] {600}, shapes.get("dec0.bias"));
    assertArrayEquals(new long[] {600, 1000}, shapes.get("dec1.weight"));
    assertArrayEquals(new long[] {1000}, shapes.get("dec1.bias"));
  }

  @Test
  void paperDaeParametersInDeclarationOrder() {
    Map<String, long[]> shapes = Architecture.paperDae(50).parameterShapes();
    assertEquals(List.of("enc0.weight", "enc0.bias", "dec0.weight", "dec0.bias"), List.copyOf(shapes.keySet()));
    assertArrayEquals(new long[] {50, 200}, shapes.get("enc0.weight"));
    assertArrayEquals(new long[] {200}, shapes.get("enc0.bias"));
    assertArrayEquals(new long[] {200, 50}, shapes.get("dec0.weight"));
    assertArrayEquals(new long[] {50}, shapes.get("dec0.bias"));
  }

  @Test
  void blockDeclaresExactlyTheseInEitherLayout() {
    Architecture arch = new Architecture(ModelType.VAE, 30, new int[] {12, 10}, 4);
    Map<String, long[]> shapes = arch.parameterShapes();
    for (MultAutoencoderBlock.DecoderLayout layout : MultAutoencoderBlock.DecoderLayout.values()) {
      MultAutoencoderBlock block = Blocks.create(arch, layout);
      List<String> names = block.getDirectParameters().keys();
      assertEquals(List.copyOf(shapes.keySet()), names, layout.name());
      for (var p : block.getDirectParameters()) {
        long[] stored = p.getValue().getShape().getShape();
        long[] expected = shapes.get(p.getKey());
        assertArrayEquals(block.storedOutIn(p.getKey()) ? new long[] {expected[1], expected[0]} : expected, stored, layout + " " + p.getKey());
      }
    }
  }
}
