package dev.inference.server.model;

import com.google.gson.annotations.SerializedName;

/** How the token vectors of one text become one sentence vector. */
public enum Pooling {
    /** Average of the token vectors, padding excluded (what MiniLM-style encoders were trained for). */
    @SerializedName("mean")
    MEAN,
    /** The vector of the first ([CLS]) token (what BGE-style encoders were trained for). */
    @SerializedName("cls")
    CLS
}
