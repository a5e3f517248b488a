package dev.recsys.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;
import dev.recsys.model.Architecture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The shared body of Mult-VAE and Mult-DAE: an L2-normalised, dropped-out input, a stack of affine
 * layers with tanh, and a decoder producing one logit per item.
 *
 * <p>Encoder weights are stored {@code [in, out]} like the reference TensorFlow code, so the first
 * layer's weight is an {@code [I, h]} table whose rows the sparse input gathers: for a user with n
 * items the first layer costs n·h instead of I·h. Decoder weights come in two layouts ({@link
 * DecoderLayout}): {@code [in, out]} for serving, where batch-1 scoring with MKL takes half the
 * time, and {@code [out, in]} for training, where the output layer's weight gradient is then one
 * {@code dY^T·h} GEMM in the layout MKL runs fastest. Outside the engine (bundles, {@link
 * BlockWeights}, checkpoints) every weight is {@code [in, out]}; see {@link #storedOutIn}. The
 * input is {@link SparseBatch#toNDList}: a COO tensor [B, I], already normalised and (for training)
 * dropped out by {@link SparseBatch}.
 *
 * <p>The parameters are those of {@link Architecture#parameterShapes}, which the bundle format
 * shares.
 */
public abstract class MultAutoencoderBlock extends AbstractBlock {

  /** Reference initialisation: Glorot-uniform weights, N(0, 0.001²) biases. */
  private static final XavierInitializer WEIGHT_INIT =
      new XavierInitializer(XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.AVG, 3f);

  private static final NormalInitializer BIAS_INIT = new NormalInitializer(0.001f);

  protected final Architecture arch;
  private final DecoderLayout decoderLayout;
  private final List<Parameter[]> encoder = new ArrayList<>();
  private final List<Parameter[]> decoder = new ArrayList<>();

  /**
   * @param arch layer sizes; the parameters are {@link Architecture#parameterShapes}
   * @param decoderLayout how the engine holds the decoder's weights
   */
  protected MultAutoencoderBlock(Architecture arch, DecoderLayout decoderLayout) {
    this.arch = arch;
    this.decoderLayout = decoderLayout;
    Map<String, long[]> shapes = arch.parameterShapes();
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      if (!e.getKey().endsWith(".weight")) {
        continue;
      }
      String layer = e.getKey().substring(0, e.getKey().length() - ".weight".length());
      long[] w = e.getValue();
      Shape stored = storedOutIn(e.getKey()) ? new Shape(w[1], w[0]) : new Shape(w);
      (layer.startsWith("enc") ? encoder : decoder).add(layer(layer, stored, new Shape(shapes.get(layer + ".bias"))));
    }
  }

  /** How the engine holds the decoder's weights. */
  public enum DecoderLayout {
    /** {@code [in, out]}, like the encoder and the bundles: faster scoring at small batches. */
    IN_OUT,
    /** {@code [out, in]}: a faster weight gradient for the output layer in training. */
    OUT_IN
  }

  /**
   * Whether the engine holds this parameter {@code [out, in]}, transposed with respect to the
   * {@code [in, out]} layout of bundles and exported tensors.
   */
  public boolean storedOutIn(String parameterName) {
    return decoderLayout == DecoderLayout.OUT_IN && parameterName.startsWith("dec") && parameterName.endsWith(".weight");
  }

  private Parameter[] layer(String name, Shape weightShape, Shape biasShape) {
    Parameter w =
        addParameter(
            Parameter.builder()
                .setName(name + ".weight")
                .setType(Parameter.Type.WEIGHT)
                .optShape(weightShape)
                .optInitializer(WEIGHT_INIT)
                .build());
    Parameter b =
        addParameter(
            Parameter.builder()
                .setName(name + ".bias")
                .setType(Parameter.Type.BIAS)
                .optShape(biasShape)
                .optInitializer(BIAS_INIT)
                .build());
    return new Parameter[] {w, b};
  }

  public Architecture architecture() {
    return arch;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    Bottleneck bn = bottleneck(encode(ps, inputs, training), training);
    NDArray z = lastHidden(ps, bn.z(), training);
    NDList out = new NDList(affine(ps, decoder.get(decoder.size() - 1), z, training, decoderLayout == DecoderLayout.IN_OUT));
    if (training) {
      out.addAll(bn.extras());
    }
    return out;
  }

  /**
   * Inference up to the output layer: the activations {@code [B, h]} that the output layer's
   * weight (the bundle's last {@code dec*.weight}, {@code [h, I]}) multiplies into the logits.
   */
  public NDArray lastHidden(ParameterStore ps, NDList inputs) {
    return lastHidden(ps, bottleneck(encode(ps, inputs, false), false).z(), false);
  }

  /** The last encoder layer's affine output. */
  private NDArray encode(ParameterStore ps, NDList inputs, boolean training) {
    NDArray h = firstLayer(ps, inputs, training);
    for (int k = 1; k < encoder.size(); k++) {
      h = affine(ps, encoder.get(k), h.tanh(), training, true);
    }
    return h;
  }

  /** Every decoder layer but the output one, each followed by tanh. */
  private NDArray lastHidden(ParameterStore ps, NDArray z, boolean training) {
    for (int k = 0; k + 1 < decoder.size(); k++) {
      z = affine(ps, decoder.get(k), z, training, decoderLayout == DecoderLayout.IN_OUT).tanh();
    }
    return z;
  }

  /**
   * Turns the last encoder layer's affine output into the decoder's input.
   *
   * @param h the last encoder layer's affine output
   * @param training whether to sample (VAE) and return the extras the loss needs
   */
  protected abstract Bottleneck bottleneck(NDArray h, boolean training);

  /** The decoder input and any extra outputs the training loss needs (μ and log σ² for the VAE). */
  protected record Bottleneck(NDArray z, NDList extras) {}

  private NDArray firstLayer(ParameterStore ps, NDList inputs, boolean training) {
    Parameter[] first = encoder.get(0);
    NDArray x = inputs.head();
    NDArray w = ps.getValue(first[0], x.getDevice(), training);
    NDArray b = ps.getValue(first[1], x.getDevice(), training);
    // sparse × dense reads only the rows of W the batch touches
    return x.matMul(w).add(b);
  }

  /** x·W + b; torch's linear fuses the bias into the GEMM (addmm) and takes W as [out, in]. */
  private static NDArray affine(ParameterStore ps, Parameter[] layer, NDArray x, boolean training, boolean storedInOut) {
    NDArray w = ps.getValue(layer[0], x.getDevice(), training);
    NDArray b = ps.getValue(layer[1], x.getDevice(), training);
    return Linear.linear(x, storedInOut ? w.transpose() : w, b).singletonOrThrow(); // a transpose is a free view
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), arch.numItems())};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    // no child blocks: every parameter is declared with its shape
  }
}
