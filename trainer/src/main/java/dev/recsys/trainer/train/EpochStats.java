package dev.recsys.trainer.train;

/**
 * One epoch's averages.
 *
 * @param epoch 1-based
 * @param loss mean training loss per batch (reconstruction + β·KL, or + L2 for the DAE)
 * @param recon mean negative multinomial log-likelihood per user
 * @param kl mean KL divergence per user (0 for the DAE)
 * @param beta β at the end of the epoch (0 for the DAE)
 * @param valNdcg100 validation NDCG@100 after the epoch
 * @param seconds wall time of the epoch's training (without validation)
 */
public record EpochStats(int epoch, double loss, double recon, double kl, double beta, double valNdcg100, double seconds) {}
