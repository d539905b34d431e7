package dev.inference.gateway.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.gateway.TestPlatform;
import dev.inference.gateway.access.TestKeys;
import dev.inference.server.Required;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The web UI in a real headless Chromium against the real gateway and inference servers. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebUiTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private static TestPlatform platform;
    private static ChromeDriver browser;
    private static WebDriverWait wait;

    @BeforeAll
    static void start() throws Exception {
        boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String missing = "Debian's chromium and chromium-driver are not installed (.ci/run installs them)";
        Required.that(installed, missing);
        platform = TestPlatform.start(gateway -> gateway.canaryWeight(10).shadowPercent(100));
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                // Chromium's background services would try to reach the internet; this machine has none.
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", "--window-size=1300,900");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    @Order(1)
    void tracksAreComparedSideBySideAndTheLivePanelShowsTheAgreement() throws Exception {
        openWithTwoReviews();

        browser.findElement(By.id("compare")).click();

        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#comparison tbody tr"), 2));
        assertEquals("stable: version 1, revision st4ble", browser.findElement(By.id("stable-heading")).getText());
        assertEquals("canary: version 2, revision c4n4ry", browser.findElement(By.id("canary-heading")).getText());
        for (WebElement row : browser.findElements(By.cssSelector("#comparison tbody tr"))) {
            List<String> cells = row.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
            boolean same = cells.get(1).split(" ")[0].equals(cells.get(2).split(" ")[0]);
            assertEquals(same ? "yes" : "no", cells.get(3), cells.toString());
        }

        // Unpinned calls are shadowed (--shadow-percent 100): the live panel reports the agreement.
        browser.findElement(By.cssSelector("input[name=pin][value=auto]")).click();
        for (int i = 0; i < 3; i++) {
            browser.findElement(By.id("predict")).click();
            wait.until(ExpectedConditions.elementToBeClickable(By.id("predict")));
        }
        wait.until(ExpectedConditions.textMatches(By.id("shadow"),
                java.util.regex.Pattern.compile("Canary c4n4ry agrees with stable on [0-9.]+% of [0-9]+ texts")));
        saveScreenshot("target/ui-comparison.png");
    }

    @Test
    @Order(2)
    void anEmbeddingModelsPlaygroundShowsHowAlikeTheTextsAre() throws Exception {
        browser.get(platform.url("/"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("model"), "all-minilm-l6-v2"));
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("model"))).selectByValue("all-minilm-l6-v2");
        wait.until(ExpectedConditions.textToBe(By.id("predict"), "Embed"));
        assertEquals("Embed texts", browser.findElement(By.id("try-title")).getText());
        WebElement texts = browser.findElement(By.id("texts"));
        for (String text : List.of("A man is eating food.", "Someone is having a meal.", "The stock market fell sharply.")) {
            texts.sendKeys(text);
            texts.sendKeys(Keys.SHIFT, Keys.ENTER);
        }
        browser.findElement(By.id("predict")).click();

        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#similarity tbody td"), 9));
        List<Double> cosines = browser.findElements(By.cssSelector("#similarity tbody td")).stream()
                .map(cell -> Double.parseDouble(cell.getAttribute("data-cosine"))).toList();
        for (int i = 0; i < 3; i++) {
            assertEquals(1.0, cosines.get(i * 4), 1e-4, "a text is most like itself");
        }
        assertEquals(cosines.get(1), cosines.get(3), 1e-6, "the matrix is symmetric");
        assertTrue(cosines.get(1) > cosines.get(2) + 0.3, "two meals are more alike than a meal and a market: " + cosines);
        saveScreenshot("target/ui-similarity-screenshot.png");
    }

    @Test
    @Order(3)
    void reviewIsClassifiedSliderMovesTheSplitAndFailuresAreExplained() throws Exception {
        openWithTwoReviews();
        browser.findElement(By.id("predict")).click();

        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#predictions li"), 2));
        List<String> labels = browser.findElements(By.cssSelector("#predictions .label")).stream()
                .map(WebElement::getText).toList();
        assertEquals(List.of("positive", "negative"), labels);
        String track = browser.findElement(By.id("served-track")).getText();
        assertTrue(List.of("stable", "canary").contains(track), track);
        assertEquals(track.equals("canary") ? "2" : "1", browser.findElement(By.id("served-version")).getText());
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#rps-chart polyline")));

        WebElement slider = browser.findElement(By.id("canary-weight"));
        wait.until(ExpectedConditions.visibilityOf(slider));
        slider.click();
        slider.sendKeys(Keys.HOME);
        for (int i = 0; i < 25; i++) {
            slider.sendKeys(Keys.ARROW_RIGHT);
        }
        waitForWeight(25);
        assertEquals("25%", browser.findElement(By.id("canary-weight-value")).getText());

        browser.findElement(By.cssSelector("input[name=pin][value=canary]")).click();
        browser.findElement(By.id("predict")).click();
        wait.until(ExpectedConditions.textToBe(By.id("served-track"), "canary"));
        saveScreenshot("target/ui-screenshot.png");

        platform.stable.stop(Duration.ofSeconds(1));
        platform.canary.stop(Duration.ofSeconds(1));
        browser.findElement(By.id("predict")).click();
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
        assertTrue(error.getText().startsWith("Prediction failed: UNAVAILABLE"), error.getText());
    }

    @Test
    @Order(4)
    void onAGatewayThatRequiresCredentialsAPastedKeyIsSentWithEveryCall() throws Exception {
        Path keys = Files.createTempFile("api-keys", "");
        Files.writeString(keys, TestKeys.line("ui-user", "pasted-key") + "\n");
        try (TestPlatform secured = TestPlatform.start(gateway -> gateway.apiKeysFile(keys))) {
            browser.get(secured.url("/"));
            WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
            assertTrue(error.getText().contains("UNAUTHENTICATED") && error.getText().contains("paste an API key"),
                    error.getText());

            browser.findElement(By.id("api-key")).sendKeys("pasted-key");
            browser.findElement(By.id("save-key")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("model"), "sentiment"));
            browser.findElement(By.id("texts")).sendKeys("The dessert was heavenly and the staff were lovely.");
            browser.findElement(By.id("predict")).click();

            wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#predictions li"), 1));
            assertEquals("positive", browser.findElement(By.cssSelector("#predictions .label")).getText());
            browser.navigate().refresh();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("model"), "sentiment"));
            assertEquals("pasted-key", browser.findElement(By.id("api-key")).getAttribute("value"), "kept for the tab");
        } finally {
            Files.delete(keys);
        }
    }

    /** A fresh page with a positive and a negative review in the playground. */
    private static void openWithTwoReviews() {
        browser.get(platform.url("/"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("model"), "sentiment"));
        WebElement texts = browser.findElement(By.id("texts"));
        texts.sendKeys("The dessert was heavenly and the staff were lovely.");
        texts.sendKeys(Keys.SHIFT, Keys.ENTER);
        texts.sendKeys("Cold soup, a rude waiter and a dirty table.");
    }

    private static void waitForWeight(int expected) {
        Awaitility.await("the canary weight becomes " + expected).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertEquals("{\"canaryWeight\":" + expected + "}", platform.get("/admin/traffic").body()));
    }

    private static void saveScreenshot(String file) throws Exception {
        Path screenshot = browser.getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(screenshot, Path.of(file), StandardCopyOption.REPLACE_EXISTING);
    }
}
