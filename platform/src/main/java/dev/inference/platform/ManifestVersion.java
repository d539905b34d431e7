package dev.inference.platform;

import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code --version} for every command line of the platform: the release written into each jar's
 * manifest ({@code Implementation-Version}) by the shade configuration they share.
 */
public final class ManifestVersion implements IVersionProvider {

    @Spec
    CommandSpec spec;

    @Override
    public String[] getVersion() {
        return new String[] {spec.name() + " " + of(spec.userObject().getClass())};
    }

    /** The release of the jar that holds {@code type}; {@code development} when run from classes. */
    public static String of(Class<?> type) {
        String version = type.getPackage().getImplementationVersion();
        return version != null ? version : "development";
    }
}
