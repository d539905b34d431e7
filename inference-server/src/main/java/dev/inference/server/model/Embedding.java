package dev.inference.server.model;

/**
 * The sentence vector of one text.
 *
 * @param vector the embedding, as the model's pooling and normalisation make it
 * @param tokens how many tokens the text took, special tokens included, after truncation
 */
public record Embedding(float[] vector, int tokens) {}
