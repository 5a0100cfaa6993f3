package io.iacrunner.cli;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** A failed file operation in words for people: "permission denied", not {@code java.nio.file.AccessDeniedException}. */
final class Problems {
    private Problems() {}

    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) return "no such file or directory";
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileAlreadyExistsException) return "it already exists";
        if (e instanceof NotDirectoryException) return "not a directory";
        if (e instanceof DirectoryNotEmptyException) return "the directory is not empty";
        if (e instanceof CharacterCodingException) return "it is not UTF-8 text";
        if (e instanceof FileSystemException fs && fs.getReason() != null) return fs.getReason();
        String message = e.getMessage();
        return message == null || message.contains("java.") || message.contains("Exception")
                ? "input/output error"
                : message;
    }
}
