package dev.inference.server.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A validated call to a tensor model: one {@link TensorData} per model input, in the graph's input
 * order, every shape checked against the graph. A batched model's call is {@code rows} rows stacked
 * along the first dimension; another model's call is one unit.
 */
public final class TensorRequest {

    private final List<TensorData> inputs;
    private final boolean batched;
    private final int rows;
    private final long[][] rowShapes;
    private final int[] rowElements;
    /** What two requests must share to run in one batch: every input's shape but the batch dimension. */
    private final BatchKey batchKey;

    /** Row shapes compared by value: made once per request, compared for every row a batch is offered. */
    private record BatchKey(long[][] rowShapes) {
        @Override
        public boolean equals(Object other) {
            return other instanceof BatchKey key && Arrays.deepEquals(rowShapes, key.rowShapes);
        }

        @Override
        public int hashCode() {
            return Arrays.deepHashCode(rowShapes);
        }

        @Override
        public String toString() {
            return Arrays.deepToString(rowShapes);
        }
    }

    public TensorRequest(List<TensorData> inputs, boolean batched) {
        this.inputs = List.copyOf(inputs);
        this.batched = batched;
        this.rows = batched ? (int) inputs.get(0).shape()[0] : 1;
        this.rowShapes = new long[inputs.size()][];
        this.rowElements = new int[inputs.size()];
        for (int i = 0; i < inputs.size(); i++) {
            long[] shape = inputs.get(i).shape();
            rowShapes[i] = batched ? Arrays.copyOfRange(shape, 1, shape.length) : shape;
            rowElements[i] = (int) TensorData.elements(rowShapes[i]);
        }
        this.batchKey = new BatchKey(rowShapes);
    }

    /** What the batcher runs: one unit per row of a batched model, the whole call otherwise. */
    public List<TensorRow> rows() {
        List<TensorRow> units = new ArrayList<>(rows);
        for (int row = 0; row < rows; row++) {
            units.add(new TensorRow(this, row));
        }
        return units;
    }

    public boolean batched() {
        return batched;
    }

    List<TensorData> inputs() {
        return inputs;
    }

    long[] rowShape(int input) {
        return rowShapes[input];
    }

    int rowElements(int input) {
        return rowElements[input];
    }

    Object batchKey() {
        return batchKey;
    }
}
