package dev.inference.server.training;

import dev.inference.server.model.ClassifierHead;

/**
 * Multinomial logistic regression with L2 regularization, fitted by full-batch gradient descent
 * on standardized features. Deterministic: the same data gives the same head, bit for bit.
 */
final class LogisticRegression {

    private final double l2;
    private final int epochs;
    private final double learningRate;

    LogisticRegression(double l2, int epochs, double learningRate) {
        this.l2 = l2;
        this.epochs = epochs;
        this.learningRate = learningRate;
    }

    /**
     * Fits a head on the vectors and their class indexes. The standardization is folded into the
     * head's weights and bias, so the head applies to raw sentence vectors.
     */
    ClassifierHead fit(float[][] vectors, int[] classes, int classCount) {
        int n = vectors.length;
        int d = vectors[0].length;
        double[] mean = new double[d];
        double[] scale = new double[d];
        for (float[] vector : vectors) {
            for (int j = 0; j < d; j++) {
                mean[j] += vector[j] / n;
            }
        }
        for (float[] vector : vectors) {
            for (int j = 0; j < d; j++) {
                double centered = vector[j] - mean[j];
                scale[j] += centered * centered / n;
            }
        }
        for (int j = 0; j < d; j++) {
            scale[j] = Math.max(Math.sqrt(scale[j]), 1e-8);
        }
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = (vectors[i][j] - mean[j]) / scale[j];
            }
        }

        double[][] w = new double[classCount][d];
        double[] b = new double[classCount];
        double[] probabilities = new double[classCount];
        for (int epoch = 0; epoch < epochs; epoch++) {
            double[][] gradW = new double[classCount][d];
            double[] gradB = new double[classCount];
            for (int i = 0; i < n; i++) {
                softmax(w, b, x[i], probabilities);
                for (int k = 0; k < classCount; k++) {
                    double error = probabilities[k] - (classes[i] == k ? 1 : 0);
                    gradB[k] += error / n;
                    for (int j = 0; j < d; j++) {
                        gradW[k][j] += error * x[i][j] / n;
                    }
                }
            }
            for (int k = 0; k < classCount; k++) {
                b[k] -= learningRate * gradB[k];
                for (int j = 0; j < d; j++) {
                    w[k][j] -= learningRate * (gradW[k][j] + l2 * w[k][j]);
                }
            }
        }

        float[][] weights = new float[classCount][d];
        float[] bias = new float[classCount];
        for (int k = 0; k < classCount; k++) {
            double folded = b[k];
            for (int j = 0; j < d; j++) {
                weights[k][j] = (float) (w[k][j] / scale[j]);
                folded -= w[k][j] * mean[j] / scale[j];
            }
            bias[k] = (float) folded;
        }
        return new ClassifierHead(weights, bias);
    }

    private static void softmax(double[][] w, double[] b, double[] x, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < w.length; k++) {
            double logit = b[k];
            for (int j = 0; j < x.length; j++) {
                logit += w[k][j] * x[j];
            }
            out[k] = logit;
            max = Math.max(max, logit);
        }
        double sum = 0;
        for (int k = 0; k < w.length; k++) {
            out[k] = Math.exp(out[k] - max);
            sum += out[k];
        }
        for (int k = 0; k < w.length; k++) {
            out[k] /= sum;
        }
    }
}
