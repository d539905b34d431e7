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
    private final List<List<Long>> batchKey;

    public TensorRequest(List<TensorData> inputs, boolean batched) {
        this.inputs = List.copyOf(inputs);
        this.batched = batched;
        this.rows = batched ? (int) inputs.get(0).shape()[0] : 1;
        this.rowShapes = new long[inputs.size()][];
        this.rowElements = new int[inputs.size()];
        List<List<Long>> key = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            long[] shape = inputs.get(i).shape();
            rowShapes[i] = batched ? Arrays.copyOfRange(shape, 1, shape.length) : shape;
            rowElements[i] = (int) TensorData.elements(rowShapes[i]);
            key.add(Arrays.stream(rowShapes[i]).boxed().toList());
        }
        this.batchKey = List.copyOf(key);
    }

    /** What the batcher runs: one unit per row of a batched model, the whole call otherwise. */
    public List<TensorRow> rows() {
        List<TensorRow> units = new ArrayList<>(rows);
        for (int row = 0; row < rows; row++) {
            units.add(new TensorRow(this, row));
        }
        return units;
    }

    public int rowCount() {
        return rows;
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

    List<List<Long>> batchKey() {
        return batchKey;
    }
}
