package dev.inference.server.api;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Re-binds a service with a schema that keeps the .proto comments, so reflection clients
 * ({@code grpcurl describe}) show the API documentation. Generated Java code drops comments; the
 * proto module also writes a descriptor set with source info, which this reads.
 */
public final class DocumentedSchema {

    static final String DESCRIPTOR_SET = "/META-INF/armeria/grpc/inference.dsc";

    private DocumentedSchema() {}

    public static ServerServiceDefinition withComments(ServerServiceDefinition definition) {
        io.grpc.ServiceDescriptor generated = definition.getServiceDescriptor();
        ServiceDescriptor documented = findService(generated.getName());
        io.grpc.ServiceDescriptor.Builder descriptor = io.grpc.ServiceDescriptor.newBuilder(generated.getName())
                .setSchemaDescriptor(new DocumentedService(documented));
        for (MethodDescriptor<?, ?> method : generated.getMethods()) {
            descriptor.addMethod(method);
        }
        ServerServiceDefinition.Builder rebound = ServerServiceDefinition.builder(descriptor.build());
        for (ServerMethodDefinition<?, ?> method : definition.getMethods()) {
            rebound.addMethod(method);
        }
        return rebound.build();
    }

    private static ServiceDescriptor findService(String fullName) {
        try (InputStream in = DocumentedSchema.class.getResourceAsStream(DESCRIPTOR_SET)) {
            if (in == null) {
                throw new IllegalStateException(DESCRIPTOR_SET + " is missing from the classpath");
            }
            Map<String, FileDescriptorProto> protos = new HashMap<>();
            for (FileDescriptorProto file : FileDescriptorSet.parseFrom(in).getFileList()) {
                protos.put(file.getName(), file);
            }
            Map<String, FileDescriptor> built = new HashMap<>();
            String simpleName = fullName.substring(fullName.lastIndexOf('.') + 1);
            for (String name : protos.keySet()) {
                ServiceDescriptor service = build(name, protos, built).findServiceByName(simpleName);
                if (service != null && service.getFullName().equals(fullName)) {
                    return service;
                }
            }
            throw new IllegalStateException(fullName + " is not in " + DESCRIPTOR_SET);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FileDescriptor build(
            String name, Map<String, FileDescriptorProto> protos, Map<String, FileDescriptor> built) {
        FileDescriptor done = built.get(name);
        if (done != null) {
            return done;
        }
        FileDescriptorProto proto = protos.get(name);
        FileDescriptor[] dependencies = proto.getDependencyList().stream()
                .map(dependency -> build(dependency, protos, built))
                .toArray(FileDescriptor[]::new);
        try {
            FileDescriptor file = FileDescriptor.buildFrom(proto, dependencies);
            built.put(name, file);
            return file;
        } catch (DescriptorValidationException e) {
            throw new IllegalStateException("invalid descriptor " + name + ": " + e.getMessage(), e);
        }
    }

    private record DocumentedService(ServiceDescriptor service) implements ProtoServiceDescriptorSupplier {

        @Override
        public FileDescriptor getFileDescriptor() {
            return service.getFile();
        }

        @Override
        public ServiceDescriptor getServiceDescriptor() {
            return service;
        }
    }
}
