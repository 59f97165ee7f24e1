package dev.edgecompress.ir.training;

import dev.edgecompress.ir.SettingException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Reads the settings' enums from the lower-case names users write. */
final class Settings {

    private Settings() {
    }

    static <E extends Enum<E>> E parse(Class<E> type, String field, String name) {
        for (E value : type.getEnumConstants()) {
            if (value.name().toLowerCase(Locale.ROOT).equals(name)) {
                return value;
            }
        }
        String known = Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
        throw new SettingException(field, "must be one of " + known + ", got '" + name + "'");
    }
}
