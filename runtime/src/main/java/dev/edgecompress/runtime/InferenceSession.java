package dev.edgecompress.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.TensorSpec;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An ONNX Runtime session over a model file or serialized model, fed and read with IR
 * {@link Tensor}s.
 *
 * <p>Owns one native session: close it (try-with-resources). Closing twice is harmless; use after
 * close throws {@link IllegalStateException}. {@link #run} may be called from several threads, as
 * ONNX Runtime sessions allow.
 */
public final class InferenceSession implements AutoCloseable {

    private final OrtSession session;
    private final ExecutionProvider provider;
    private final AtomicLong runNanos = new AtomicLong();
    private volatile boolean closed;

    private InferenceSession(OrtSession session, ExecutionProvider provider) {
        this.session = session;
        this.provider = provider;
    }

    /**
     * Opens a session on {@code model}.
     *
     * @throws ProviderUnavailableException when the configured execution provider cannot run here
     * @throws InferenceException when ONNX Runtime cannot load the model
     */
    public static InferenceSession open(Path model, SessionConfig config) {
        OrtEnvironment env = SharedEnvironment.ENV;
        try (OrtSession.SessionOptions options = options(config)) {
            return new InferenceSession(env.createSession(model.toString(), options), config.provider());
        } catch (OrtException e) {
            throw new InferenceException(model + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
    }

    /**
     * Why ONNX Runtime cannot load the model file (with the default CPU configuration, graph
     * optimizations on, as users will load it), or null when it can.
     */
    public static String loadProblem(Path model) {
        OrtEnvironment env = SharedEnvironment.ENV;
        try (OrtSession.SessionOptions options = options(SessionConfig.defaults());
                OrtSession ignored = env.createSession(model.toString(), options)) {
            return null;
        } catch (OrtException e) {
            return String.valueOf(e.getMessage()).replace('\n', ' ');
        }
    }

    public static InferenceSession open(byte[] model, SessionConfig config) {
        OrtEnvironment env = SharedEnvironment.ENV;
        try (OrtSession.SessionOptions options = options(config)) {
            return new InferenceSession(env.createSession(model, options), config.provider());
        } catch (OrtException e) {
            throw new InferenceException("ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the graph ONNX Runtime actually runs for {@code model} after its graph optimizations
     * (fused int8 kernels such as QGemm or QLinearConv show there) to {@code target}.
     */
    public static void writeOptimized(Path model, SessionConfig config, Path target) {
        OrtEnvironment env = SharedEnvironment.ENV;
        try (OrtSession.SessionOptions options = options(config)) {
            options.setOptimizedModelFilePath(target.toString());
            env.createSession(model.toString(), options).close();
        } catch (OrtException e) {
            throw new InferenceException(model + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
    }

    /** Whether this ONNX Runtime build has {@code provider} compiled in (its libraries may still be missing). */
    public static boolean isBuiltWith(ExecutionProvider provider) {
        return switch (provider) {
            case CPU -> true;
            case CUDA -> OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
        };
    }

    /**
     * The process's ONNX Runtime environment, made with one shared, non-spinning intra-op thread
     * pool for the sessions that must not spin (those timed side by side). With a pool of its own,
     * each session's worker threads settle fast or slow for as long as the session lives (LeNet-5 at
     * batch 1: 42 or 52 us, session by session), so two models timed on their own sessions differ
     * by that luck; on one shared pool both run on the same threads (docs/BENCHMARKS.md, latency
     * method). Where the embedding application made the environment first, sessions keep pools of
     * their own.
     */
    private static final class SharedEnvironment {
        static final OrtEnvironment ENV;
        static final boolean HAS_SHARED_POOL;

        static {
            OrtEnvironment env;
            boolean shared;
            try (OrtEnvironment.ThreadingOptions threading = new OrtEnvironment.ThreadingOptions()) {
                threading.setGlobalSpinControl(false);
                env = OrtEnvironment.getEnvironment(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
                        "edgecompress", threading);
                shared = true;
            } catch (IllegalStateException | OrtException alreadyMade) {
                env = OrtEnvironment.getEnvironment();
                shared = false;
            }
            ENV = env;
            HAS_SHARED_POOL = shared;
        }
    }

    private static OrtSession.SessionOptions options(SessionConfig config) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            // ONNX Runtime's warnings (unused initializers, serialization notes) are not for our users.
            options.setSessionLogLevel(Boolean.getBoolean(SessionConfig.VERBOSE_PROPERTY)
                    ? ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING
                    : ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            if (config.provider() == ExecutionProvider.CUDA) {
                addCuda(options);
            }
            options.setOptimizationLevel(switch (config.optimization()) {
                case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            if (config.intraOpThreads() > 0) {
                options.setIntraOpNumThreads(config.intraOpThreads());
            }
            if (!config.spinning()) {
                if (config.intraOpThreads() == 0 && SharedEnvironment.HAS_SHARED_POOL) {
                    options.disablePerSessionThreads();
                } else {
                    options.addConfigEntry("session.intra_op.allow_spinning", "0");
                }
            }
            return options;
        } catch (OrtException e) {
            options.close();
            throw e;
        }
    }

    private static void addCuda(OrtSession.SessionOptions options) {
        if (!isBuiltWith(ExecutionProvider.CUDA)) {
            throw new ProviderUnavailableException(ExecutionProvider.CUDA, "the CUDA execution provider is not in"
                    + " this ONNX Runtime build (the CPU one); build with 'mvn -Pgpu install' to use onnxruntime_gpu,"
                    + " which needs an NVIDIA GPU with CUDA 12 and cuDNN 9", null);
        }
        try {
            options.addCUDA(0);
        } catch (OrtException e) {
            throw new ProviderUnavailableException(ExecutionProvider.CUDA, "the CUDA execution provider cannot"
                    + " start: " + e.getMessage().replace('\n', ' '), e);
        }
    }

    /** The execution provider this session was opened with. */
    public ExecutionProvider provider() {
        return provider;
    }

    /** The model's inputs, in order. */
    public List<TensorSpec> inputs() {
        requireOpen();
        try {
            return specs(session.getInputInfo());
        } catch (OrtException e) {
            throw new InferenceException("cannot read the model's inputs: " + e.getMessage(), e);
        }
    }

    /** The model's outputs, in order. */
    public List<TensorSpec> outputs() {
        requireOpen();
        try {
            return specs(session.getOutputInfo());
        } catch (OrtException e) {
            throw new InferenceException("cannot read the model's outputs: " + e.getMessage(), e);
        }
    }

    private static List<TensorSpec> specs(Map<String, NodeInfo> infos) {
        List<TensorSpec> specs = new ArrayList<>();
        for (NodeInfo info : infos.values()) {
            if (!(info.getInfo() instanceof TensorInfo tensor)) {
                throw new InferenceException("'" + info.getName() + "' is a " + info.getInfo()
                        + "; only tensor inputs and outputs are supported");
            }
            specs.add(new TensorSpec(info.getName(), dataType(tensor), tensor.getShape()));
        }
        return specs;
    }

    /** Nanoseconds spent inside ONNX Runtime's {@code run} so far, over all calls. */
    public long runNanos() {
        return runNanos.get();
    }

    public Set<String> inputNames() {
        requireOpen();
        return session.getInputNames();
    }

    public Set<String> outputNames() {
        requireOpen();
        return session.getOutputNames();
    }

    /** Whether every input and output of the model is a tensor (not a sequence, map or optional). */
    public boolean hasOnlyTensorIo() {
        requireOpen();
        try {
            for (Map<String, NodeInfo> infos : List.of(session.getInputInfo(), session.getOutputInfo())) {
                for (NodeInfo info : infos.values()) {
                    if (!(info.getInfo() instanceof TensorInfo)) {
                        return false;
                    }
                }
            }
            return true;
        } catch (OrtException e) {
            throw new InferenceException("cannot read the model's inputs and outputs: " + e.getMessage(), e);
        }
    }

    /** Runs the model; returns every output, by name, in the model's output order. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        requireOpen();
        OrtEnvironment env = SharedEnvironment.ENV;
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Tensor> input : inputs.entrySet()) {
                feeds.put(input.getKey(), toOrt(env, input.getKey(), input.getValue()));
            }
            long start = System.nanoTime();
            try (OrtSession.Result result = session.run(feeds)) {
                runNanos.addAndGet(System.nanoTime() - start);
                Map<String, Tensor> outputs = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> output : result) {
                    outputs.put(output.getKey(), fromOrt(output.getKey(), output.getValue()));
                }
                return outputs;
            }
        } catch (OrtException e) {
            throw new InferenceException("ONNX Runtime failed to run the model: " + e.getMessage(), e);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    private static OnnxTensor toOrt(OrtEnvironment env, String name, Tensor tensor) throws OrtException {
        if (tensor.type() == DataType.STRING) {
            String[] values = tensor.strings().stream().map(b -> new String(b, StandardCharsets.UTF_8))
                    .toArray(String[]::new);
            return OnnxTensor.createTensor(env, values, tensor.dims());
        }
        OnnxJavaType javaType = switch (tensor.type()) {
            case FLOAT -> OnnxJavaType.FLOAT;
            case DOUBLE -> OnnxJavaType.DOUBLE;
            case INT8 -> OnnxJavaType.INT8;
            case UINT8 -> OnnxJavaType.UINT8;
            case INT16 -> OnnxJavaType.INT16;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
            case BOOL -> OnnxJavaType.BOOL;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case BFLOAT16 -> OnnxJavaType.BFLOAT16;
            default -> throw new InferenceException("input '" + name + "' is " + tensor.type()
                    + ", which ONNX Runtime's Java API cannot feed");
        };
        ByteBuffer data = tensor.buffer();
        if (!data.isDirect() || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            data = ByteBuffer.allocateDirect((int) tensor.byteSize()).order(ByteOrder.nativeOrder()).put(data).flip();
        }
        // A direct buffer is handed to ONNX Runtime as it is, without a copy.
        return OnnxTensor.createTensor(env, data, tensor.dims(), javaType);
    }

    private static Tensor fromOrt(String name, OnnxValue value) throws OrtException {
        if (!(value instanceof OnnxTensor tensor)) {
            throw new InferenceException("output '" + name + "' is a " + value.getType()
                    + "; only tensor outputs are supported");
        }
        TensorInfo info = tensor.getInfo();
        DataType type = dataType(info);
        long[] shape = info.getShape();
        if (type == DataType.STRING) {
            List<byte[]> strings = new ArrayList<>();
            flattenStrings(tensor.getValue(), strings);
            return Tensor.ofStrings(shape, strings);
        }
        ByteBuffer bytes = tensor.getByteBuffer();
        if (bytes == null) {
            throw new InferenceException("output '" + name + "' is " + type
                    + ", which ONNX Runtime's Java API cannot read");
        }
        return Tensor.of(type, shape, bytes.order(ByteOrder.LITTLE_ENDIAN));
    }

    private static DataType dataType(TensorInfo info) {
        return DataType.valueOf(info.onnxType.name().substring("ONNX_TENSOR_ELEMENT_DATA_TYPE_".length()));
    }

    private static void flattenStrings(Object array, List<byte[]> into) {
        if (array instanceof String s) {
            into.add(s.getBytes(StandardCharsets.UTF_8));
            return;
        }
        for (int i = 0; i < Array.getLength(array); i++) {
            flattenStrings(Array.get(array, i), into);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the inference session is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            session.close();
        } catch (OrtException e) {
            throw new InferenceException("cannot close the session: " + e.getMessage(), e);
        }
    }
}
