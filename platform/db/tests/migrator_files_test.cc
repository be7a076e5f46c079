// Goal: migration files are read, ordered and split into statements predictably, and
// malformed folders are rejected before anything touches a database.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "bourse/db/migrator.h"

namespace fs = std::filesystem;

namespace {

struct TempFolder {
  fs::path path = fs::temp_directory_path() / ("bourse_mig_" + std::to_string(::getpid()) + "_" +
                                               std::to_string(reinterpret_cast<std::uintptr_t>(this)));
  TempFolder() { fs::create_directories(path); }
  ~TempFolder() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path / name) << content;
  }
};

}  // namespace

TEST_CASE("statements split at a semicolon that ends a line; comments dropped", "[migrations]") {
  auto statements = bourse::db::split_sql_statements(
      "-- a comment;\nCREATE TABLE a (\n  x INT -- inline\n);\n\nINSERT INTO a VALUES (1);\n"
      "SELECT 'a;b'\n");
  REQUIRE(statements.size() == 3);
  CHECK(statements[0].find("CREATE TABLE a") == 0);
  CHECK(statements[1] == "INSERT INTO a VALUES (1)");
  CHECK(statements[2] == "SELECT 'a;b'");
}

TEST_CASE("migrations load in version order with checksums", "[migrations]") {
  TempFolder folder;
  folder.write("0002_second.sql", "SELECT 2;\n");
  folder.write("0001_first.sql", "SELECT 1;\n");
  folder.write("README.txt", "not a migration");
  auto loaded = bourse::db::load_migrations(folder.path);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->size() == 2);
  CHECK((*loaded)[0].version == 1);
  CHECK((*loaded)[0].name == "0001_first");
  CHECK((*loaded)[1].version == 2);
  CHECK((*loaded)[0].checksum.size() == 16);
  CHECK((*loaded)[0].checksum != (*loaded)[1].checksum);
}

TEST_CASE("malformed migration folders are rejected", "[migrations]") {
  SECTION("missing folder") {
    CHECK_FALSE(bourse::db::load_migrations("/nonexistent/bourse/migrations").ok());
  }
  SECTION("bad name") {
    TempFolder folder;
    folder.write("first.sql", "SELECT 1;\n");
    CHECK(bourse::db::load_migrations(folder.path).error().reason == "migration_name");
  }
  SECTION("duplicate version") {
    TempFolder folder;
    folder.write("0001_a.sql", "SELECT 1;\n");
    folder.write("001_b.sql", "SELECT 1;\n");
    CHECK(bourse::db::load_migrations(folder.path).error().reason == "migration_duplicate");
  }
  SECTION("empty file") {
    TempFolder folder;
    folder.write("0001_a.sql", "-- nothing\n");
    CHECK(bourse::db::load_migrations(folder.path).error().reason == "migration_empty");
  }
}

TEST_CASE("the project's own migrations load", "[migrations]") {
  const char* source_dir = std::getenv("BOURSE_SOURCE_DIR");
  REQUIRE(source_dir != nullptr);
  auto loaded = bourse::db::load_migrations(fs::path(source_dir) / "migrations");
  REQUIRE(loaded.ok());
  CHECK_FALSE(loaded->empty());
}
