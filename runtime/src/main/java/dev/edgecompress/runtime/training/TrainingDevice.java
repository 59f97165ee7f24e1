package dev.edgecompress.runtime.training;

import java.util.Locale;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * Where TensorFlow trains. The GPU needs TensorFlow's GPU native build (the Maven profile
 * {@code gpu}) and a GPU it can use (CUDA 12 and cuDNN 9 libraries); {@link #gpuProblem()} says
 * which is missing.
 */
public enum TrainingDevice {
    CPU,
    GPU;

    private static final String GPU_BUILD = "org/tensorflow/internal/c_api/linux-x86_64-gpu/";
    private static String gpuProblem;
    private static boolean probed;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The device named (cpu, gpu), or the best one here for "auto". */
    public static TrainingDevice parse(String name) {
        return switch (name) {
            case "cpu" -> CPU;
            case "gpu" -> GPU;
            case "auto" -> best();
            default -> throw new IllegalArgumentException("unknown device '" + name + "'; known: auto, cpu, gpu");
        };
    }

    /** The GPU where one can be used, else the CPU. */
    public static TrainingDevice best() {
        return gpuProblem() == null ? GPU : CPU;
    }

    /** Why training cannot use a GPU here, or null when it can. Probed once per process. */
    public static synchronized String gpuProblem() {
        if (!probed) {
            gpuProblem = probeGpu();
            probed = true;
        }
        return gpuProblem;
    }

    private static String probeGpu() {
        if (TrainingDevice.class.getClassLoader().getResource(GPU_BUILD) == null) {
            return "this build has TensorFlow's CPU library only; build with 'mvn -Pgpu install' for its GPU library"
                    + " (linux-x86_64-gpu, which needs an NVIDIA GPU with CUDA 12 and cuDNN 9)";
        }
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph).withDevice(DeviceSpec.newBuilder().deviceType(DeviceSpec.DeviceType.GPU)
                    .deviceIndex(0).build());
            Operand<TFloat32> sum = tf.math.add(tf.constant(1f), tf.constant(1f));
            try (Session session = new Session(graph, ConfigProto.newBuilder().setAllowSoftPlacement(false).build());
                    Result ignored = session.runner().fetch(sum).run()) {
                return null;
            }
        } catch (TensorFlowException e) {
            return "TensorFlow's GPU library found no GPU it can use (" + e.getMessage().lines().findFirst().orElse("")
                    + "); it needs an NVIDIA GPU with the CUDA 12 and cuDNN 9 libraries on the library path";
        }
    }

    /**
     * Fails where this device cannot be used here, saying what is missing.
     *
     * @throws DeviceUnavailableException for a GPU that cannot be used
     */
    public void requireUsable() {
        if (this == GPU && gpuProblem() != null) {
            throw new DeviceUnavailableException(gpuProblem());
        }
    }

    /** The session settings that keep TensorFlow on this device. */
    ConfigProto sessionConfig() {
        if (this == CPU) {
            return ConfigProto.newBuilder().putDeviceCount("GPU", 0).build();
        }
        requireUsable();
        // Ops without a GPU kernel run on the CPU, as TensorFlow places them by default.
        return ConfigProto.newBuilder().setAllowSoftPlacement(true).build();
    }
}
