package dev.inference.server.api;

import dev.inference.api.repository.v1.ModelRepositoryServiceGrpc;
import dev.inference.api.repository.v1.RepositoryIndexRequest;
import dev.inference.api.repository.v1.RepositoryIndexResponse;
import dev.inference.api.repository.v1.RepositoryModelLoadRequest;
import dev.inference.api.repository.v1.RepositoryModelLoadResponse;
import dev.inference.api.repository.v1.RepositoryModelUnloadRequest;
import dev.inference.api.repository.v1.RepositoryModelUnloadResponse;
import dev.inference.server.registry.RepositoryControl;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The model repository extension over gRPC ({@code inference.repository.v1}); the management
 * port serves the same over HTTP ({@link RepositoryHttp}). A load returns once the model serves,
 * so loads and unloads run on their own thread, never on the transport's.
 */
public final class RepositoryService extends ModelRepositoryServiceGrpc.ModelRepositoryServiceImplBase {

    private final Supplier<RepositoryControl> control;
    private final Executor changes;

    /**
     * @param control the repository's control, or null while the server starts
     * @param changes where loads and unloads run: they take as long as a model takes to load
     */
    public RepositoryService(Supplier<RepositoryControl> control, Executor changes) {
        this.control = control;
        this.changes = changes;
    }

    @Override
    public void repositoryIndex(RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> observer) {
        try {
            observer.onNext(index(control(), request.getReady()));
            observer.onCompleted();
        } catch (StatusException e) {
            observer.onError(e);
        }
    }

    @Override
    public void repositoryModelLoad(RepositoryModelLoadRequest request,
            StreamObserver<RepositoryModelLoadResponse> observer) {
        change(observer, RepositoryModelLoadResponse.getDefaultInstance(), control -> control.load(request.getModelName()));
    }

    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest request,
            StreamObserver<RepositoryModelUnloadResponse> observer) {
        change(observer, RepositoryModelUnloadResponse.getDefaultInstance(), control -> control.unload(request.getModelName()));
    }

    private interface Change {
        void apply(RepositoryControl control) throws StatusException;
    }

    private <R> void change(StreamObserver<R> observer, R done, Change change) {
        Context context = Context.current();
        changes.execute(context.wrap(() -> {
            try {
                change.apply(control());
                observer.onNext(done);
                observer.onCompleted();
            } catch (StatusException e) {
                observer.onError(e);
            }
        }));
    }

    /** The index in the extension's message: what the HTTP routes print too. */
    public static RepositoryIndexResponse index(RepositoryControl control, boolean readyOnly) {
        RepositoryIndexResponse.Builder index = RepositoryIndexResponse.newBuilder();
        for (RepositoryControl.IndexEntry entry : control.index(readyOnly)) {
            index.addModelsBuilder().setName(entry.model()).setVersion(entry.version())
                    .setState(entry.state() == null ? "" : entry.state().name()).setReason(entry.reason());
        }
        return index.build();
    }

    private RepositoryControl control() throws StatusException {
        RepositoryControl current = control.get();
        if (current == null) {
            throw Status.UNAVAILABLE.withDescription("the server is starting: models are loading").asException();
        }
        return current;
    }
}
