package dev.harvest.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.harvest.api.queue.QueueName;
import dev.harvest.core.engine.ConsumerRunner;
import dev.harvest.core.testing.ExternalServices;
import dev.harvest.core.testing.TestDatabases;
import dev.harvest.examples.demo.DemoCatalogServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web pages in a real browser: headless Chromium from Debian's {@code chromium} and {@code chromium-driver}
 * packages (which {@code .ci/run} installs), driven with Selenium WebDriver. An editor logs in with a token,
 * creates a CKAN source through the form (failing validation once), harvests a local test CKAN (the examples' demo
 * catalog served as a CKAN action API) with "Harvest now", watches the job page refresh itself until the job
 * finishes, and reads the report. Skipped with the reason when the browser is missing; failed then under
 * {@code HARVEST_IT_REQUIRED=true}.
 */
class BrowserEndToEndTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private WebTestSite site;
    private DemoCatalogServer ckan;
    private WebDriver browser;
    private ConsumerRunner gather;
    private ConsumerRunner fetch;

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (gather != null) {
            gather.stop();
            fetch.stop();
        }
        if (site != null) {
            site.close();
        }
        if (ckan != null) {
            ckan.close();
        }
    }

    private static void requireBrowser() {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            String reason = "Chromium is not installed (" + CHROMIUM + ", " + CHROMEDRIVER + "): apt-get install"
                    + " chromium chromium-driver, as .ci/run does";
            if (ExternalServices.required()) {
                throw new AssertionError(reason + " (HARVEST_IT_REQUIRED=true)");
            }
            Assumptions.abort(reason);
        }
    }

    private WebDriver startBrowser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    @Test
    void anEditorCreatesASourceInTheBrowserHarvestsALocalCkanAndReadsTheJobReport() throws Exception {
        requireBrowser();
        ckan = DemoCatalogServer.start(0);
        site = new WebTestSite(TestDatabases.Kind.H2, Map.of(), true);
        gather = site.harvest.engine().consumer(site.harvest.queue(), QueueName.GATHER, 1);
        fetch = site.harvest.engine().consumer(site.harvest.queue(), QueueName.FETCH, 2);
        gather.start();
        fetch.start();
        browser = startBrowser();
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(90), Duration.ofMillis(250));
        wait.ignoring(StaleElementReferenceException.class); // the job page reloads itself under the wait

        browser.get(site.base() + "/harvest/login");
        browser.findElement(By.id("token")).sendKeys(site.tokens.get("editor-a"));
        browser.findElement(By.cssSelector("#login button[type=submit]")).click();
        wait.until(driver -> driver.getPageSource().contains("Logged in as editor-a."));

        browser.get(site.base() + "/harvest/new");
        browser.findElement(By.id("title")).sendKeys("Demo CKAN");
        browser.findElement(By.id("name")).sendKeys("demo-ckan");
        browser.findElement(By.cssSelector("input[name=source_type][value=ckan]")).click();
        browser.findElement(By.id("owner_org")).sendKeys("org-a");
        browser.findElement(By.cssSelector("#source-new button[type=submit]")).click();
        // the answer is a new page: wait for it (a click does not always wait for the navigation it starts)
        assertEquals("Missing value", wait.until(driver -> driver.findElement(By.cssSelector("#url ~ .field-error")))
                .getText(), "the URL left empty fails beside its field");
        assertEquals("Demo CKAN", browser.findElement(By.id("title")).getAttribute("value"), "what was typed stays");

        browser.findElement(By.id("url")).sendKeys(ckan.ckanUrl());
        browser.findElement(By.cssSelector("#source-new button[type=submit]")).click();
        wait.until(driver -> driver.getCurrentUrl().endsWith("/harvest/demo-ckan"));
        assertTrue(browser.getPageSource().contains("Harvest source created."));

        browser.findElement(By.xpath("//button[text()='Harvest now']")).click();
        wait.until(driver -> driver.getPageSource().contains("Harvest will start shortly."));
        browser.findElement(By.linkText("View full job report")).click();

        // the page refreshes itself (meta refresh) while the job runs
        wait.until(driver -> driver.findElement(By.id("job-status")).getText().equals("Finished"));
        String stats = browser.findElement(By.id("stats")).getText();
        assertTrue(stats.matches("0 errors · 12 added · 0 updated · 0 deleted · 0 not modified"), stats);
        assertTrue(browser.getPageSource().contains("No errors for this job"));
        assertFalse(browser.getPageSource().contains("http-equiv=\"refresh\""));
        assertEquals(12, site.harvest.queries().currentDatasetCount(site.harvest.source("demo-ckan").id()));
    }
}
